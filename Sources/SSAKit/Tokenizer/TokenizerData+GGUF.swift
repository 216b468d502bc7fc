extension TokenizerData {
  /// The tokenizer stored in a GGUF file's metadata (llama.cpp's `tokenizer.ggml.*` keys).
  public init(gguf: GGUFFile) throws {
    guard let model = gguf["tokenizer.ggml.model"] else { throw TokenizerError.missingKey("tokenizer.ggml.model") }
    guard let modelName = model.string else {
      throw TokenizerError.badValue(key: "tokenizer.ggml.model", reason: "not a string")
    }
    guard let tokenValue = gguf["tokenizer.ggml.tokens"] else { throw TokenizerError.missingKey("tokenizer.ggml.tokens") }
    guard let tokens = tokenValue.strings else {
      throw TokenizerError.badValue(key: "tokenizer.ggml.tokens", reason: "not an array of strings")
    }
    var types: [TokenType]
    if let typeValue = gguf["tokenizer.ggml.token_type"] {
      guard let raw = typeValue.ints, raw.count == tokens.count else {
        throw TokenizerError.badValue(
          key: "tokenizer.ggml.token_type", reason: "not an array of \(tokens.count) integers, one per token")
      }
      types = []
      types.reserveCapacity(raw.count)
      for (i, t) in raw.enumerated() {
        guard let type = TokenType(rawValue: Int32(truncatingIfNeeded: t)), Int32(exactly: t) != nil else {
          throw TokenizerError.badValue(key: "tokenizer.ggml.token_type", reason: "token \(i) has unknown type \(t)")
        }
        types.append(type)
      }
    } else {
      types = [TokenType](repeating: .normal, count: tokens.count)
    }
    var merges: [String] = []
    if let mergeValue = gguf["tokenizer.ggml.merges"] {
      guard let m = mergeValue.strings else {
        throw TokenizerError.badValue(key: "tokenizer.ggml.merges", reason: "not an array of strings")
      }
      merges = m
    }
    var pre: String?
    if let preValue = gguf["tokenizer.ggml.pre"] {
      guard let p = preValue.string else { throw TokenizerError.badValue(key: "tokenizer.ggml.pre", reason: "not a string") }
      pre = p
    }

    // Keep the file's order so that writing the data back reproduces the file.
    var specials: [SpecialTokenID] = []
    var flags: [AddTokenFlag] = []
    var chatTemplate: String?
    let roleOfIdKey = Dictionary(uniqueKeysWithValues: SpecialToken.allCases.map { ($0.idKey, $0) })
    let roleOfAddKey = Dictionary(uniqueKeysWithValues: SpecialToken.allCases.compactMap { r in r.addKey.map { ($0, r) } })
    for (key, value) in gguf.metadata where key.hasPrefix("tokenizer.") {
      if let role = roleOfIdKey[key] {
        guard let id = value.int, id >= 0, id < tokens.count else {
          throw TokenizerError.badValue(key: key, reason: "\(value) is not a token id below \(tokens.count)")
        }
        specials.append(SpecialTokenID(role, id))
      } else if let role = roleOfAddKey[key] {
        guard case .bool(let b) = value else { throw TokenizerError.badValue(key: key, reason: "not a bool") }
        flags.append(AddTokenFlag(role, b))
      } else if key == "tokenizer.chat_template" {
        guard let s = value.string else { throw TokenizerError.badValue(key: key, reason: "not a string") }
        chatTemplate = s
      }
    }
    self.init(
      model: modelName, preTokenizer: pre, tokens: tokens, tokenTypes: types, merges: merges,
      specialTokenIDs: specials, addTokenFlags: flags, chatTemplate: chatTemplate)
  }
}
