/// Human- and machine-readable listings of a GGUF file, in the manner of llama.cpp's `gguf-dump`.
extension GGUFFile {
  /// Parameter count over all tensors.
  public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

  /// One line: architecture, blocks, tensors, parameters, size.
  public var summary: String {
    let arch = architecture ?? "unknown"
    let blocks = self["\(arch).block_count"]?.int.map { "\($0) blocks, " } ?? ""
    let params = Double(parameterCount) / 1e6
    let mib = Double(fileSize) / 1_048_576
    return "architecture \(arch), \(blocks)\(tensors.count) tensors, "
      + "\(formatFixed(params, 2))M parameters, \(formatFixed(mib, 1)) MiB"
  }

  /// The text listing: header, metadata (arrays longer than `arrayLimit` summarised), tensors.
  public func dump(arrayLimit: Int = 8) -> String {
    var out = "* File: \(path)\n"
    out += "* \(summary)\n"
    out += "* GGUF v\(version), \(metadata.count) key/value pairs, alignment \(alignment), "
      + "data section at byte \(dataOffset)\n"
    out += "* Metadata:\n"
    for (i, entry) in metadata.enumerated() {
      let (type, count) = GGUFFile.typeLabel(entry.value)
      let value = GGUFFile.render(entry.value, limit: arrayLimit)
      out += pad(String(i + 1), 6) + ": " + padRight(type, 10) + " | " + pad(String(count), 8) + " | "
      out += entry.key + " = " + value + "\n"
    }
    out += "* Tensors:\n"
    out += "     #  name                                     type   shape                       offset       bytes\n"
    for (i, t) in tensors.enumerated() {
      let shape = t.shape.map(String.init).joined(separator: " x ")
      out += pad(String(i + 1), 6) + "  " + padRight(t.name, 40) + " " + padRight(t.type.name, 6) + " "
      out += padRight(shape, 22) + " " + pad(String(t.fileOffset), 12) + " " + pad(String(t.byteCount), 11) + "\n"
    }
    return out
  }

  /// The machine-readable listing. Arrays longer than `arrayLimit` keep their first elements and say
  /// how many there are in `count`.
  public func json(arrayLimit: Int = 16) -> JSON {
    let meta: [JSON] = metadata.map { entry in
      var fields: [(String, JSON)] = [("key", .string(entry.key))]
      if case .array(let elementType, let items) = entry.value {
        fields.append(("type", .string("ARRAY")))
        fields.append(("element_type", .string(elementType.name)))
        fields.append(("count", .int(items.count)))
      } else {
        fields.append(("type", .string(entry.value.type.name)))
      }
      fields.append(("value", entry.value.json(arrayLimit: arrayLimit)))
      return .object(fields)
    }
    let tensorList: [JSON] = tensors.map { t in
      .object([
        ("name", .string(t.name)), ("type", .string(t.type.name)),
        ("shape", .array(t.shape.map { .int($0) })), ("offset", .int(t.fileOffset)),
        ("bytes", .int(t.byteCount)),
      ])
    }
    return .object([
      ("path", .string(path)), ("version", .int(Int(version))),
      ("architecture", architecture.map(JSON.string) ?? .null),
      ("tensor_count", .int(tensors.count)), ("parameter_count", .int(parameterCount)),
      ("alignment", .int(alignment)), ("data_offset", .int(dataOffset)), ("file_size", .int(fileSize)),
      ("metadata", .array(meta)), ("tensors", .array(tensorList)),
    ])
  }

  static func typeLabel(_ value: GGUFValue) -> (String, Int) {
    if case .array(let t, let items) = value { return ("[\(t.name)]", items.count) }
    return (value.type.name, 1)
  }

  static func render(_ value: GGUFValue, limit: Int) -> String {
    switch value {
    case .string(let s):
      let escaped = JSON.string(s).serialized
      return escaped.count > 160 ? String(escaped.prefix(157)) + "...\"" : escaped
    case .array(_, let items):
      let shown = items.prefix(limit).map { render($0, limit: limit) }.joined(separator: ", ")
      return items.count > limit ? "[\(shown), ... (\(items.count) total)]" : "[\(shown)]"
    case .float32(let v): return "\(v)"
    case .float64(let v): return "\(v)"
    case .bool(let b): return b ? "true" : "false"
    default: return value.int.map(String.init) ?? "\(value)"
    }
  }
}

private func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

private func padRight(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func formatFixed(_ v: Double, _ digits: Int) -> String {
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let r = (v * scale).rounded() / scale
  var s = "\(r)"
  if let dot = s.firstIndex(of: ".") {
    let decimals = s.distance(from: dot, to: s.endIndex) - 1
    if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
  } else if digits > 0 {
    s += "." + String(repeating: "0", count: digits)
  }
  return s
}
