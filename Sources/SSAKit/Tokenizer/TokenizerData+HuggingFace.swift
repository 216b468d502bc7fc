import Foundation

extension TokenizerData {
  /// The tokenizer of an HF checkpoint folder: `tokenizer.json`, or `vocab.json` + `merges.txt`, with
  /// added tokens, special tokens and the chat template from `tokenizer_config.json` and the vocabulary
  /// size from `config.json`. Token types, padding rows and special ids follow llama.cpp's
  /// convert_hf_to_gguf.py (`get_vocab_base`, gguf-py `SpecialVocab`), so that `ggufMetadata()` writes
  /// what that converter writes.
  public init(huggingFaceDirectory dir: String) throws {
    let fm = FileManager.default
    let tokenizerJSON = dir + "/tokenizer.json"
    let tokenizerConfig = try HFFiles.objectIfPresent(dir + "/tokenizer_config.json")
    let config = try HFFiles.objectIfPresent(dir + "/config.json")

    var vocab: [(token: String, id: Int)] = []
    var merges: [String] = []
    var added: [HFAddedToken] = []
    var tokenizerJSONAdded: [HFAddedToken] = []
    // What tokenizer.json's post-processor says about adding BOS/EOS wins over tokenizer_config.json,
    // as in gguf-py's SpecialVocab.
    var postProcessorFlags: [AddTokenFlag] = []
    let pre: String
    if fm.fileExists(atPath: tokenizerJSON) {
      let root = try HFFiles.object(tokenizerJSON)
      guard let model = root["model"] as? [String: Any] else {
        throw TokenizerError.badJSON(path: tokenizerJSON, reason: "no \"model\" object")
      }
      try HFFiles.checkBPEModel(model, path: tokenizerJSON)
      vocab = try HFFiles.vocabulary(model["vocab"], path: tokenizerJSON + " model.vocab")
      merges = try HFFiles.merges(model["merges"], path: tokenizerJSON)
      pre = try HFFiles.preTokenizerName(root, path: tokenizerJSON)
      added = try HFFiles.addedTokens(fromList: root["added_tokens"], path: tokenizerJSON)
      tokenizerJSONAdded = added
      postProcessorFlags = HFFiles.addTokenFlags(postProcessor: root["post_processor"])
    } else if fm.fileExists(atPath: dir + "/vocab.json"), fm.fileExists(atPath: dir + "/merges.txt") {
      vocab = try HFFiles.vocabulary(try HFFiles.jsonValue(dir + "/vocab.json"), path: dir + "/vocab.json")
      merges = try HFFiles.mergesText(dir + "/merges.txt")
      let tokenizerClass = tokenizerConfig?["tokenizer_class"] as? String ?? "<none>"
      // Without tokenizer.json the pipeline is the one the tokenizer class builds.
      guard tokenizerClass == "Qwen2Tokenizer" || tokenizerClass == "Qwen2TokenizerFast" else {
        throw TokenizerError.unsupportedPreTokenizer("tokenizer_class \(tokenizerClass) in \(dir)/tokenizer_config.json")
      }
      pre = "qwen2"
    } else {
      throw TokenizerError.cannotRead(path: dir, reason: "no tokenizer.json, nor vocab.json and merges.txt")
    }
    if let decoder = tokenizerConfig?["added_tokens_decoder"] {
      let known = Set(added.map(\.id))
      added += try HFFiles.addedTokens(fromDecoder: decoder, path: dir + "/tokenizer_config.json")
        .filter { !known.contains($0.id) }
    }
    for token in added { try token.checkSupported() }

    // Rows beyond the tokenizer's ids pad the vocabulary to the embedding size (config.json vocab_size).
    let maxID = max(vocab.map(\.id).max() ?? -1, added.map(\.id).max() ?? -1)
    let textConfig = config?["text_config"] as? [String: Any]
    let declared = (config?["vocab_size"] as? Int) ?? (textConfig?["vocab_size"] as? Int)
    let count = declared ?? (maxID + 1)
    guard maxID < count else {
      throw TokenizerError.badValue(key: "vocab_size in \(dir)/config.json", reason: "\(count) is not above the largest token id \(maxID)")
    }
    var tokens = (0..<count).map { "[PAD\($0)]" }
    var types = [TokenType](repeating: .unused, count: count)
    for (token, id) in vocab {
      tokens[id] = token
      types[id] = .normal
    }
    for token in added {
      if token.special || HFFiles.looksSpecial(token.content) {
        tokens[token.id] = token.content
        types[token.id] = .control
      } else {
        tokens[token.id] = token.content.replacingOccurrences(of: "\u{2581}", with: " ")
        types[token.id] = .userDefined
      }
    }

    var data = TokenizerData(model: "gpt2", preTokenizer: pre, tokens: tokens, tokenTypes: types, merges: merges)
    data.addTokenFlags = postProcessorFlags
    try data.loadSpecialTokens(
      tokenizerConfig: tokenizerConfig, config: config, hasTokenizerJSON: fm.fileExists(atPath: tokenizerJSON),
      added: tokenizerJSONAdded, dir: dir)
    self = data
  }

  /// gguf-py `SpecialVocab._try_load_from_tokenizer_json` then `_try_load_from_config_json`: ids named in
  /// tokenizer_config.json first, looked up among tokenizer.json's added tokens (so none without a
  /// tokenizer.json, as in gguf-py), then `<role>_token_id` in config.json.
  private mutating func loadSpecialTokens(
    tokenizerConfig: [String: Any]?, config: [String: Any]?, hasTokenizerJSON: Bool, added: [HFAddedToken], dir: String
  ) throws {
    func set(_ role: SpecialToken, _ id: Int?, from key: String) throws {
      guard let id, id >= 0, specialTokenIDs.first(where: { $0.role == role }) == nil else { return }
      guard id < tokens.count else {
        throw TokenizerError.badValue(key: key, reason: "token id \(id) is not below the vocabulary size \(tokens.count)")
      }
      specialTokenIDs.append(SpecialTokenID(role, id))
    }
    func content(_ entry: Any?) -> String? {
      if let s = entry as? String { return s }
      return (entry as? [String: Any])?["content"] as? String
    }
    if var tc = tokenizerConfig {
      if hasTokenizerJSON {
        if content(tc["bos_token"]) == nil, let cls = tc["cls_token"] { tc["bos_token"] = cls }
        if content(tc["eos_token"]) == nil, let sep = tc["sep_token"] { tc["eos_token"] = sep }
      }
      for role in SpecialToken.allCases {
        if let add = tc["add_\(role.rawValue)_token"] as? Bool, role.addKey != nil,
          !addTokenFlags.contains(where: { $0.role == role }) {
          addTokenFlags.append(AddTokenFlag(role, add))
        }
        guard let text = content(tc["\(role.rawValue)_token"]) else { continue }
        try set(role, added.first(where: { $0.content == text })?.id, from: "\(role.rawValue)_token in \(dir)/tokenizer_config.json")
      }
      chatTemplate = try HFFiles.chatTemplate(tc["chat_template"], dir: dir)
    }
    if let config {
      let textConfig = config["text_config"] as? [String: Any]
      for role in SpecialToken.allCases {
        let key = "\(role.rawValue)_token_id"
        try set(role, (config[key] ?? textConfig?[key]) as? Int, from: "\(key) in \(dir)/config.json")
      }
    }
  }
}
