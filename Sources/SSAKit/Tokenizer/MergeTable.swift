/// The merges as an open-addressing hash table on integer pairs: (left id, right id) -> (rank, merged
/// id), packed as `rank << 32 | merged` so that comparing two values compares ranks.
struct MergeTable {
  static let none = UInt64.max

  private var keys: [UInt64]
  private var values: [UInt64]
  private let shift: UInt64
  private let mask: Int
  private(set) var count = 0

  init(capacity: Int) {
    var bits: UInt64 = 4
    while (1 << bits) < capacity * 2 { bits += 1 }
    keys = [UInt64](repeating: MergeTable.none, count: 1 << bits)
    values = [UInt64](repeating: MergeTable.none, count: 1 << bits)
    shift = 64 - bits
    mask = (1 << bits) - 1
  }

  @inline(__always)
  private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

  /// Insert or replace (a later duplicate merge replaces an earlier one, as in HF's merge map).
  mutating func set(_ left: UInt32, _ right: UInt32, rank: UInt32, merged: UInt32) {
    let key = UInt64(left) << 32 | UInt64(right)
    var i = slot(key)
    while keys[i] != MergeTable.none && keys[i] != key { i = (i + 1) & mask }
    if keys[i] == MergeTable.none { count += 1 }
    keys[i] = key
    values[i] = UInt64(rank) << 32 | UInt64(merged)
  }

  /// A read-only view for the merge loop.
  func withView<R>(_ body: (View) -> R) -> R {
    keys.withUnsafeBufferPointer { k in
      values.withUnsafeBufferPointer { v in
        body(View(keys: k.baseAddress!, values: v.baseAddress!, shift: shift, mask: mask))
      }
    }
  }

  struct View {
    let keys: UnsafePointer<UInt64>
    let values: UnsafePointer<UInt64>
    let shift: UInt64
    let mask: Int

    /// `rank << 32 | merged`, or `MergeTable.none`.
    @inline(__always)
    func lookup(_ left: UInt32, _ right: UInt32) -> UInt64 {
      let key = UInt64(left) << 32 | UInt64(right)
      var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
      while true {
        let k = keys[i]
        if k == key { return values[i] }
        if k == MergeTable.none { return MergeTable.none }
        i = (i + 1) & mask
      }
    }
  }
}
