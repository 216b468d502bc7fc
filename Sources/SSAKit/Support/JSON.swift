/// A JSON value, with an encoder that writes compact, valid JSON (object keys in insertion order).
public enum JSON: Equatable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSON])
  case object([(String, JSON)])

  public static func == (a: JSON, b: JSON) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  public subscript(key: String) -> JSON? {
    guard case .object(let fields) = self else { return nil }
    return fields.first(where: { $0.0 == key })?.1
  }

  /// Compact serialization.
  public var serialized: String {
    var out = ""
    write(to: &out)
    return out
  }

  public func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d): out += JSON.format(d)
    case .string(let s): JSON.escape(s, into: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let fields):
      out += "{"
      for (i, (key, value)) in fields.enumerated() {
        if i > 0 { out += "," }
        JSON.escape(key, into: &out)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }

  /// Doubles print with the shortest representation that round-trips; non-finite values have no JSON
  /// form and become null.
  static func format(_ d: Double) -> String {
    guard d.isFinite else { return "null" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) + ".0" }
    return "\(d)"
  }

  static func escape(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}

extension GGUFValue {
  /// The value as JSON; arrays longer than `limit` keep only their first `limit` elements.
  public func json(arrayLimit limit: Int = .max) -> JSON {
    switch self {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .int64, .bool:
      if case .bool(let b) = self { return .bool(b) }
      return .int(int!)
    case .uint64(let v): return Int(exactly: v).map(JSON.int) ?? .double(Double(v))
    // The shortest Float text, so 1e-06 prints as 1e-06, not as the nearest Double.
    case .float32(let v): return .double(Double("\(v)") ?? Double(v))
    case .float64(let v): return .double(v)
    case .string(let s): return .string(s)
    case .array(_, let items): return .array(items.prefix(limit).map { $0.json(arrayLimit: limit) })
    }
  }
}
