/// Everything that defines a tokenizer, in the form GGUF stores it (llama.cpp's `tokenizer.ggml.*` keys):
/// the tokens in id order as their byte-level spelling, a type per token, the merges best first as
/// "left right" strings, the special token ids and the chat template. Loaded from a GGUF file or an HF
/// checkpoint folder; written back to GGUF metadata by `ggufMetadata()` (the converter's job).
public struct TokenizerData: Sendable, Equatable {
  /// llama.cpp's token types (`llama_token_type`, gguf-py `TokenType`).
  public enum TokenType: Int32, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
  }

  /// The special token roles GGUF has a key for.
  public enum SpecialToken: String, Sendable, CaseIterable {
    case bos, eos, unk, sep, pad, cls, mask

    /// The GGUF key of the id (gguf-py `Keys.Tokenizer`; "seperator" is llama.cpp's spelling).
    public var idKey: String {
      switch self {
      case .bos: return "tokenizer.ggml.bos_token_id"
      case .eos: return "tokenizer.ggml.eos_token_id"
      case .unk: return "tokenizer.ggml.unknown_token_id"
      case .sep: return "tokenizer.ggml.seperator_token_id"
      case .pad: return "tokenizer.ggml.padding_token_id"
      case .cls: return "tokenizer.ggml.cls_token_id"
      case .mask: return "tokenizer.ggml.mask_token_id"
      }
    }

    /// The GGUF key of the flag saying whether encoding adds this token (only bos, eos and sep have one).
    public var addKey: String? {
      switch self {
      case .bos: return "tokenizer.ggml.add_bos_token"
      case .eos: return "tokenizer.ggml.add_eos_token"
      case .sep: return "tokenizer.ggml.add_sep_token"
      default: return nil
      }
    }
  }

  public struct SpecialTokenID: Sendable, Equatable {
    public var role: SpecialToken
    public var id: Int
    public init(_ role: SpecialToken, _ id: Int) { self.role = role; self.id = id }
  }

  public struct AddTokenFlag: Sendable, Equatable {
    public var role: SpecialToken
    public var add: Bool
    public init(_ role: SpecialToken, _ add: Bool) { self.role = role; self.add = add }
  }

  /// `tokenizer.ggml.model`: "gpt2" for byte-level BPE.
  public var model: String
  /// `tokenizer.ggml.pre`: the pre-tokenizer, "qwen2" for Qwen2's split regex.
  public var preTokenizer: String?
  /// Every token in id order: byte-level spelling for normal tokens, plain text for added ones,
  /// "[PAD<id>]" for the unused rows that pad the vocabulary to the embedding size.
  public var tokens: [String]
  public var tokenTypes: [TokenType]
  /// Merges best first, each "left right" in byte-level spelling.
  public var merges: [String]
  /// Special token ids in the order they are written to GGUF.
  public var specialTokenIDs: [SpecialTokenID]
  /// `add_bos_token` and friends, in the order they are written.
  public var addTokenFlags: [AddTokenFlag]
  public var chatTemplate: String?

  public init(
    model: String, preTokenizer: String?, tokens: [String], tokenTypes: [TokenType], merges: [String],
    specialTokenIDs: [SpecialTokenID] = [], addTokenFlags: [AddTokenFlag] = [], chatTemplate: String? = nil
  ) {
    self.model = model
    self.preTokenizer = preTokenizer
    self.tokens = tokens
    self.tokenTypes = tokenTypes
    self.merges = merges
    self.specialTokenIDs = specialTokenIDs
    self.addTokenFlags = addTokenFlags
    self.chatTemplate = chatTemplate
  }

  public func id(of role: SpecialToken) -> Int? {
    specialTokenIDs.first(where: { $0.role == role })?.id
  }

  public var bosTokenId: Int? { id(of: .bos) }
  public var eosTokenId: Int? { id(of: .eos) }
  public var paddingTokenId: Int? { id(of: .pad) }

  /// The GGUF metadata entries for this tokenizer, with the keys, value types and order that llama.cpp's
  /// convert_hf_to_gguf.py writes for a byte-level BPE model (`_set_vocab_gpt2` then `SpecialVocab`):
  /// model, pre, tokens, token_type (int32), merges, special ids (uint32), add_* flags (bool), chat template.
  /// Empty arrays are left out, as gguf-py's `add_array` does.
  public func ggufMetadata() -> [(key: String, value: GGUFValue)] {
    var out: [(key: String, value: GGUFValue)] = []
    out.append(("tokenizer.ggml.model", .string(model)))
    if let preTokenizer { out.append(("tokenizer.ggml.pre", .string(preTokenizer))) }
    if !tokens.isEmpty { out.append(("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) }))) }
    if !tokenTypes.isEmpty {
      out.append(("tokenizer.ggml.token_type", .array(.int32, tokenTypes.map { .int32($0.rawValue) })))
    }
    if !merges.isEmpty { out.append(("tokenizer.ggml.merges", .array(.string, merges.map { .string($0) }))) }
    for special in specialTokenIDs { out.append((special.role.idKey, .uint32(UInt32(special.id)))) }
    for flag in addTokenFlags {
      if let key = flag.role.addKey { out.append((key, .bool(flag.add))) }
    }
    if let chatTemplate { out.append(("tokenizer.chat_template", .string(chatTemplate))) }
    return out
  }
}
