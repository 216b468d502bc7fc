/// One byte of class bits per Unicode scalar value, expanded once from the generated run list
/// (`UnicodeTableData.swift`, made by tools/gen-unicode-table from the reference's own regex engine) into
/// a flat 1.1 MB table, so that classifying a scalar on the hot path is a single load.
final class UnicodeTable: @unchecked Sendable {
  static let letter: UInt8 = 1
  static let number: UInt8 = 2
  static let space: UInt8 = 4
  /// NFC may change text around this scalar (see `NFCNormalizer`).
  static let nfcUnsafe: UInt8 = 8
  /// The pre-tokenizer's three classes; a scalar with none of them is "other".
  static let classMask: UInt8 = 7

  static let shared = UnicodeTable()

  /// Indexed by scalar value, 0...0x10FFFF. Never freed: the table lives as long as the process.
  let classes: UnsafeMutablePointer<UInt8>

  private init() {
    classes = .allocate(capacity: 0x110000)
    classes.initialize(repeating: 0, count: 0x110000)
    var position = 0
    var value: UInt8 = 0
    var length = 0
    var inToken = false
    func hex(_ c: UInt8) -> Int {
      c <= 0x39 ? Int(c - 0x30) : Int(c - 0x61 + 10)
    }
    for c in UnicodeTable.runs.utf8 {
      if c == 0x20 || c == 0x0A {
        if inToken {
          let end = min(position + length, 0x110000)
          if value != 0 { (classes + position).update(repeating: value, count: end - position) }
          position = end
          inToken = false
        }
      } else if !inToken {
        value = UInt8(hex(c))
        length = 0
        inToken = true
      } else {
        length = length << 4 | hex(c)
      }
    }
    if inToken {
      let end = min(position + length, 0x110000)
      if value != 0 { (classes + position).update(repeating: value, count: end - position) }
    }
  }
}
