/// Why a GGUF file could not be read or written. Each case names the problem and where it is; a parse
/// error comes wrapped in `inFile`, which names the file.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
  case cannotOpen(path: String, reason: String)
  indirect case inFile(path: String, GGUFError)
  case badMagic(found: [UInt8])
  case unsupportedVersion(UInt32)
  case truncated(at: Int, reading: String)
  case absurdCount(what: String, count: UInt64, at: Int)
  case badBool(String, value: UInt8, at: Int)
  case unknownValueType(UInt32, key: String)
  case unknownTensorType(UInt32, tensor: String)
  case invalidString(at: Int)
  case duplicateKey(String)
  case duplicateTensor(String)
  case badAlignment(String)
  case badTensorShape(tensor: String, reason: String)
  case tensorOutOfBounds(tensor: String, offset: UInt64, bytes: UInt64, dataBytes: UInt64)
  case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
  case writeFailed(path: String, reason: String)
  case writerMisuse(String)

  /// The error without the file it was found in.
  public var problem: GGUFError {
    if case .inFile(_, let error) = self { return error.problem }
    return self
  }

  public var description: String {
    switch self {
    case .cannotOpen(let path, let reason):
      return "cannot open \(path): \(reason)"
    case .inFile(let path, let error):
      return "\(path): \(error)"
    case .badMagic(let found):
      let shown = found.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "\\x" + hex($0) }
      return "not a GGUF file: bad magic \"\(shown.joined())\" (expected \"GGUF\")"
    case .unsupportedVersion(let v):
      return "unsupported GGUF version \(v) (this reader handles version 3, and 2)"
    case .truncated(let at, let what):
      return "truncated at byte \(at) while reading \(what)"
    case .absurdCount(let what, let count, let at):
      return "absurd \(what) \(count) at byte \(at): larger than the file could hold"
    case .badBool(let what, let value, let at):
      return "\(what) is \(value) (at byte \(at)), but a bool must be 0 or 1"
    case .unknownValueType(let t, let key):
      return "unknown metadata value type \(t) for key \"\(key)\""
    case .unknownTensorType(let t, let tensor):
      return "unknown tensor type id \(t) for tensor \"\(tensor)\""
    case .invalidString(let at):
      return "string at byte \(at) is not valid UTF-8"
    case .duplicateKey(let key):
      return "duplicate metadata key \"\(key)\""
    case .duplicateTensor(let name):
      return "duplicate tensor name \"\(name)\""
    case .badAlignment(let value):
      return "general.alignment must be a power of two between 1 and 65536, got \(value)"
    case .badTensorShape(let tensor, let reason):
      return "tensor \"\(tensor)\" has a bad shape: \(reason)"
    case .tensorOutOfBounds(let tensor, let offset, let bytes, let dataBytes):
      return "tensor \"\(tensor)\" out of bounds: \(bytes) bytes at data offset \(offset), "
        + "but the data section holds \(dataBytes) bytes"
    case .misalignedTensor(let tensor, let offset, let alignment):
      return "tensor \"\(tensor)\" data offset \(offset) is not a multiple of the alignment \(alignment)"
    case .writeFailed(let path, let reason):
      return "cannot write \(path): \(reason)"
    case .writerMisuse(let what):
      return "GGUF writer: \(what)"
    }
  }
}

private func hex(_ b: UInt8) -> String {
  let digits = Array("0123456789abcdef")
  return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}
