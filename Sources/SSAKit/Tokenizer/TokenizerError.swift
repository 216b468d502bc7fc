/// Why a tokenizer could not be loaded. Each case names the file or key and what is wrong with it.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
  case missingKey(String)
  case badValue(key: String, reason: String)
  case unsupportedModel(String)
  case unsupportedPreTokenizer(String)
  case badMerge(index: Int, merge: String, reason: String)
  case missingByteToken(UInt8)
  case cannotRead(path: String, reason: String)
  case badJSON(path: String, reason: String)
  case unsupportedAddedToken(String, reason: String)

  public var description: String {
    switch self {
    case .missingKey(let key):
      return "tokenizer: missing \(key)"
    case .badValue(let key, let reason):
      return "tokenizer: bad \(key): \(reason)"
    case .unsupportedModel(let model):
      return "tokenizer: unsupported tokenizer model \"\(model)\" (only byte-level BPE, \"gpt2\", is supported)"
    case .unsupportedPreTokenizer(let name):
      return "tokenizer: unsupported pre-tokenizer \"\(name)\" (only Qwen2's, \"qwen2\", is supported)"
    case .badMerge(let index, let merge, let reason):
      return "tokenizer: merge \(index) \"\(merge)\": \(reason)"
    case .missingByteToken(let byte):
      return "tokenizer: the vocabulary has no token for byte 0x\(String(byte, radix: 16)), which byte-level BPE needs"
    case .cannotRead(let path, let reason):
      return "tokenizer: cannot read \(path): \(reason)"
    case .badJSON(let path, let reason):
      return "tokenizer: \(path): \(reason)"
    case .unsupportedAddedToken(let content, let reason):
      return "tokenizer: added token \"\(content)\" is not supported: \(reason)"
    }
  }
}
