/// GGUF metadata value type ids (gguf.h `enum gguf_type`).
public enum GGUFValueType: UInt32, Sendable {
  case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
  case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

  /// Fixed byte size of a scalar value; nil for strings and arrays.
  var fixedSize: Int? {
    switch self {
    case .uint8, .int8, .bool: return 1
    case .uint16, .int16: return 2
    case .uint32, .int32, .float32: return 4
    case .uint64, .int64, .float64: return 8
    case .string, .array: return nil
    }
  }

  public var name: String { String(describing: self).uppercased() }
}

/// One metadata value. Arrays keep their element type so that an empty array round-trips, and hold
/// their elements compactly (see `GGUFArray`).
public enum GGUFValue: Equatable, Sendable {
  case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
  case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
  case array(GGUFValueType, GGUFArray)

  /// An array of values, packed when they share one type: `.array(.int32, ids.map { .int32($0) })`.
  public static func array(_ type: GGUFValueType, _ items: [GGUFValue]) -> GGUFValue {
    .array(type, GGUFArray(items))
  }

  public var type: GGUFValueType {
    switch self {
    case .uint8: return .uint8
    case .int8: return .int8
    case .uint16: return .uint16
    case .int16: return .int16
    case .uint32: return .uint32
    case .int32: return .int32
    case .float32: return .float32
    case .bool: return .bool
    case .string: return .string
    case .uint64: return .uint64
    case .int64: return .int64
    case .float64: return .float64
    case .array: return .array
    }
  }

  /// The value as an integer, for any integer type (and bool), when it fits in Int.
  public var int: Int? {
    switch self {
    case .uint8(let v): return Int(v)
    case .int8(let v): return Int(v)
    case .uint16(let v): return Int(v)
    case .int16(let v): return Int(v)
    case .uint32(let v): return Int(v)
    case .int32(let v): return Int(v)
    case .uint64(let v): return Int(exactly: v)
    case .int64(let v): return Int(v)
    case .bool(let v): return v ? 1 : 0
    default: return nil
    }
  }

  /// The value as a floating-point number, for any numeric type.
  public var double: Double? {
    switch self {
    case .float32(let v): return Double(v)
    case .float64(let v): return v
    default: return int.map(Double.init)
    }
  }

  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The elements of an array as values (a copy; `elements` reads them in place).
  public var array: [GGUFValue]? {
    if case .array(_, let items) = self { return Array(items) }
    return nil
  }

  /// The elements of an array, in their compact storage.
  public var elements: GGUFArray? {
    if case .array(_, let items) = self { return items }
    return nil
  }

  public var strings: [String]? {
    guard case .array(.string, let items) = self else { return nil }
    return items.strings ?? items.map { $0.string ?? "" }
  }

  public var ints: [Int]? {
    guard case .array(_, let items) = self else { return nil }
    var out: [Int] = []
    out.reserveCapacity(items.count)
    for item in items {
      guard let v = item.int else { return nil }
      out.append(v)
    }
    return out
  }

  public var floats: [Float]? {
    guard case .array(_, let items) = self else { return nil }
    var out: [Float] = []
    out.reserveCapacity(items.count)
    for item in items {
      guard let v = item.double else { return nil }
      out.append(Float(v))
    }
    return out
  }
}
