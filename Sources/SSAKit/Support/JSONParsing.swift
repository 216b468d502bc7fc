import Foundation

/// Reading JSON text into `JSON` values with Foundation's `JSONSerialization`.
extension JSON {
  /// Parses one JSON document. Throws Foundation's error for text that is not JSON.
  public static func parse(_ bytes: [UInt8]) throws -> JSON {
    let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    return JSON(foundation: object)
  }

  /// A `JSONSerialization` value as `JSON`. Object keys come back sorted (Foundation's dictionaries
  /// keep no order). Booleans are told from numbers by their Objective-C type code.
  public init(foundation value: Any) {
    switch value {
    case is NSNull:
      self = .null
    case let s as String:
      self = .string(s)
    case let n as NSNumber:
      switch String(cString: n.objCType) {
      case "c", "B": self = .bool(n.boolValue)
      case "d", "f": self = .double(n.doubleValue)
      case "Q", "L", "I", "S", "C":
        self = Int(exactly: n.uint64Value).map(JSON.int) ?? .double(n.doubleValue)
      default: self = .int(n.intValue)
      }
    case let a as [Any]:
      self = .array(a.map(JSON.init(foundation:)))
    case let o as [String: Any]:
      self = .object(o.keys.sorted().map { ($0, JSON(foundation: o[$0]!)) })
    default:
      self = .string("\(value)")
    }
  }

  /// A short name of the value's type, for error messages.
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .int, .double: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}
