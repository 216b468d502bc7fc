/// One entry of `added_tokens` (tokenizer.json) or `added_tokens_decoder` (tokenizer_config.json).
struct HFAddedToken {
  var id: Int
  var content: String
  var special: Bool
  var normalized: Bool
  var lstrip: Bool
  var rstrip: Bool
  var singleWord: Bool

  /// The Qwen2 pipeline matches added tokens verbatim on the raw text; other matching rules are refused
  /// rather than silently tokenized differently from HF.
  func checkSupported() throws {
    if lstrip || rstrip || singleWord {
      throw TokenizerError.unsupportedAddedToken(content, reason: "lstrip, rstrip and single_word must be false")
    }
    if normalized {
      throw TokenizerError.unsupportedAddedToken(content, reason: "normalized must be false")
    }
    if content.isEmpty { throw TokenizerError.unsupportedAddedToken(content, reason: "empty content") }
  }
}
