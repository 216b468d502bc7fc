/// A bounds-checked little-endian cursor over a byte buffer. Every read checks the remaining length
/// first, so a lying count or a truncated file becomes a `GGUFError`, never an out-of-bounds access.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  private(set) var offset: Int = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  var remaining: Int { bytes.count - offset }

  mutating func need(_ count: Int, _ what: @autoclosure () -> String) throws {
    guard count >= 0, count <= remaining else {
      throw GGUFError.truncated(at: bytes.count, reading: what())
    }
  }

  mutating func scalar<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
    try need(MemoryLayout<T>.size, what())
    let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    offset += MemoryLayout<T>.size
    return T(littleEndian: v)
  }

  mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 { try scalar(UInt8.self, what()) }
  mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 { try scalar(UInt32.self, what()) }
  mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 { try scalar(UInt64.self, what()) }

  mutating func float32(_ what: @autoclosure () -> String) throws -> Float {
    Float(bitPattern: try u32(what()))
  }

  mutating func float64(_ what: @autoclosure () -> String) throws -> Double {
    Double(bitPattern: try u64(what()))
  }

  /// How many of `count` items of at least `minSize` bytes can be in the rest of the input: the
  /// capacity to reserve for them. A count that cannot fit and that no real file reaches (over 2^24
  /// items) is called absurd; a smaller one is left to the reads, which say where the input ends.
  func checkCount(_ count: UInt64, minSize: Int, _ what: @autoclosure () -> String, at: Int) throws -> Int {
    let fitting = remaining / max(1, minSize)
    guard count > UInt64(fitting) else { return Int(count) }
    if count > 1 << 24 { throw GGUFError.absurdCount(what: what(), count: count, at: at) }
    return fitting
  }

  /// The next `count` bytes, as a view into the input.
  mutating func slice(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
    try need(count, what())
    defer { offset += count }
    return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
  }

  /// A GGUF string: u64 byte length, then UTF-8 bytes with no terminator.
  mutating func string(_ what: @autoclosure () -> String) throws -> String {
    let start = offset
    let length = try u64("the length of \(what())")
    guard length <= UInt64(remaining) else {
      if length > 1 << 24 { throw GGUFError.absurdCount(what: "string length", count: length, at: start) }
      throw GGUFError.truncated(at: bytes.count, reading: "\(what()) (\(length) bytes)")
    }
    let count = Int(length)
    let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    guard let s = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
      throw GGUFError.invalidString(at: start)
    }
    offset += count
    return s
  }
}
