/// The elements of a GGUF array value, stored by kind so that memory follows the file's size: numbers
/// and bools keep their little-endian bytes as in the file (1 to 8 bytes an element, decoded when read),
/// strings are one `[String]`, and only nested or mixed arrays hold `GGUFValue`s (24 bytes each). An
/// array of 16 million UINT8 thus costs 16 MB, not the 400 MB of a `[GGUFValue]`.
public struct GGUFArray: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral,
  CustomStringConvertible
{
  enum Storage: Sendable {
    /// Elements of one fixed-size type, little-endian, `type.fixedSize` bytes each.
    case packed(GGUFValueType, [UInt8])
    case strings([String])
    /// Nested arrays, an empty array, or elements of several types (only built by callers).
    case values([GGUFValue])
  }

  let storage: Storage

  init(storage: Storage) { self.storage = storage }

  /// Packs the values when they all have one fixed-size type, or are all strings.
  public init(_ values: [GGUFValue]) {
    guard let type = values.first?.type, values.allSatisfy({ $0.type == type }) else {
      storage = .values(values)
      return
    }
    switch type {
    case .string: storage = .strings(values.map { $0.string ?? "" })
    case .array: storage = .values(values)
    default:
      var bytes: [UInt8] = []
      bytes.reserveCapacity(values.count * (type.fixedSize ?? 0))
      for value in values { value.appendBytes(to: &bytes) }
      storage = .packed(type, bytes)
    }
  }

  public init(arrayLiteral elements: GGUFValue...) { self.init(elements) }

  public init(strings: [String]) { storage = .strings(strings) }

  // MARK: - Collection

  public var startIndex: Int { 0 }

  public var endIndex: Int {
    switch storage {
    case .packed(let type, let bytes): return bytes.count / (type.fixedSize ?? 1)
    case .strings(let strings): return strings.count
    case .values(let values): return values.count
    }
  }

  public subscript(i: Int) -> GGUFValue {
    switch storage {
    case .packed(let type, let bytes):
      precondition(i >= 0 && i < endIndex, "GGUFArray index out of range")
      return bytes.withUnsafeBytes { GGUFValue.decode(type, from: $0, at: i * (type.fixedSize ?? 1)) }
    case .strings(let strings): return .string(strings[i])
    case .values(let values): return values[i]
    }
  }

  // MARK: - Views

  /// The elements as strings when every one is a string (no copy).
  public var strings: [String]? {
    switch storage {
    case .strings(let strings): return strings
    case .values(let values): return values.isEmpty ? [] : nil
    case .packed: return nil
    }
  }

  /// Bytes the element storage takes: the packed bytes, or the inline size of the strings or values
  /// (string contents longer than 15 bytes live in their own allocations on top of that).
  public var storageByteCount: Int {
    switch storage {
    case .packed(_, let bytes): return bytes.count
    case .strings(let strings): return strings.count * MemoryLayout<String>.stride
    case .values(let values): return values.count * MemoryLayout<GGUFValue>.stride
    }
  }

  /// The little-endian bytes of fixed-size elements, as in the file; nil for strings and values.
  var packedBytes: [UInt8]? {
    if case .packed(_, let bytes) = storage { return bytes }
    return nil
  }

  public static func == (a: GGUFArray, b: GGUFArray) -> Bool {
    switch (a.storage, b.storage) {
    case (.strings(let x), .strings(let y)): return x == y
    // Integers and bools compare by bytes; floats element by element, so that 0 == -0 and NaN != NaN.
    case (.packed(let s, let x), .packed(let t, let y)) where s == t && s != .float32 && s != .float64: return x == y
    default: return a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
    }
  }

  public var description: String { "[" + map { "\($0)" }.joined(separator: ", ") + "]" }
}

extension GGUFValue {
  /// A fixed-size scalar read from little-endian bytes at `offset`.
  static func decode(_ type: GGUFValueType, from bytes: UnsafeRawBufferPointer, at offset: Int) -> GGUFValue {
    func load<T: FixedWidthInteger>(_: T.Type) -> T {
      T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    switch type {
    case .uint8: return .uint8(bytes[offset])
    case .int8: return .int8(Int8(bitPattern: bytes[offset]))
    case .bool: return .bool(bytes[offset] != 0)
    case .uint16: return .uint16(load(UInt16.self))
    case .int16: return .int16(load(Int16.self))
    case .uint32: return .uint32(load(UInt32.self))
    case .int32: return .int32(load(Int32.self))
    case .float32: return .float32(Float(bitPattern: load(UInt32.self)))
    case .uint64: return .uint64(load(UInt64.self))
    case .int64: return .int64(load(Int64.self))
    case .float64: return .float64(Double(bitPattern: load(UInt64.self)))
    case .string, .array: preconditionFailure("\(type.name) has no fixed size")
    }
  }

  /// Append a fixed-size scalar's little-endian bytes (nothing for strings and arrays).
  func appendBytes(to out: inout [UInt8]) {
    func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    switch self {
    case .uint8(let v): append(v)
    case .int8(let v): append(v)
    case .uint16(let v): append(v)
    case .int16(let v): append(v)
    case .uint32(let v): append(v)
    case .int32(let v): append(v)
    case .float32(let v): append(v.bitPattern)
    case .bool(let v): append(UInt8(v ? 1 : 0))
    case .uint64(let v): append(v)
    case .int64(let v): append(v)
    case .float64(let v): append(v.bitPattern)
    case .string, .array: break
    }
  }
}
