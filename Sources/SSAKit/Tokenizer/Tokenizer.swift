import Foundation

/// Qwen2's byte-level BPE tokenizer, identical to HF tokenizers with Qwen2's tokenizer.json: NFC, the
/// Qwen2 split regex, GPT-2 byte-level BPE, added tokens matched whole. Built from a GGUF file's metadata
/// or an HF checkpoint folder; safe to share between threads (encoding takes a lock: the word cache is
/// shared).
public final class Tokenizer: @unchecked Sendable {
  /// The loaded vocabulary, merges and special tokens, as GGUF stores them.
  public let data: TokenizerData
  public var vocabularySize: Int { data.tokens.count }
  public var eosTokenId: Int? { data.eosTokenId }
  public var bosTokenId: Int? { data.bosTokenId }
  public var paddingTokenId: Int? { data.paddingTokenId }

  private let lock = NSLock()
  private var encoder: TextEncoder
  let decoder: TokenDecoder
  private let addedIDs: [String: Int]
  private let vocabulary: ByteStringTable

  public convenience init(gguf: GGUFFile) throws {
    try self.init(data: TokenizerData(gguf: gguf))
  }

  public convenience init(huggingFaceDirectory: String) throws {
    try self.init(data: TokenizerData(huggingFaceDirectory: huggingFaceDirectory))
  }

  public init(data: TokenizerData) throws {
    guard data.model == "gpt2" else { throw TokenizerError.unsupportedModel(data.model) }
    guard data.preTokenizer == "qwen2" else {
      throw TokenizerError.unsupportedPreTokenizer(data.preTokenizer ?? "none")
    }
    guard data.tokenTypes.count == data.tokens.count else {
      throw TokenizerError.badValue(
        key: "tokenizer.ggml.token_type", reason: "\(data.tokenTypes.count) types for \(data.tokens.count) tokens")
    }
    guard data.tokens.count < Int(UInt32.max) else {
      throw TokenizerError.badValue(key: "tokenizer.ggml.tokens", reason: "too many tokens")
    }
    self.data = data

    // Normal tokens by their byte-level spelling (its UTF-8), the first of two equal spellings winning.
    // Keying by spelling lets merges be looked up as written: spelling is byte by byte, so the spelling
    // of a merge's result is the concatenation of its two parts'.
    var vocabulary = ByteStringTable(capacity: data.tokens.count)
    var uniqueSpellings = true
    for (id, token) in data.tokens.enumerated() where data.tokenTypes[id] == .normal {
      var token = token
      token.withUTF8 { u in
        if !vocabulary.insertIfAbsent(u.baseAddress ?? UnsafePointer(bitPattern: 1)!, u.count, UInt32(id)) {
          uniqueSpellings = false
        }
      }
    }
    var byteIDs = [UInt32](repeating: 0, count: 256)
    for b in 0..<256 {
      guard let (id, _) = vocabulary.find(Array(ByteEncoder.token(ofBytes: [UInt8(b)]).utf8)) else {
        throw TokenizerError.missingByteToken(UInt8(b))
      }
      byteIDs[b] = id
    }

    var merges = MergeTable(capacity: data.merges.count)
    var scratch: [UInt8] = []
    for (rank, merge) in data.merges.enumerated() {
      try Tokenizer.addMerge(
        merge, rank: rank, data: uniqueSpellings ? data : nil, vocabulary: vocabulary, into: &merges, scratch: &scratch)
    }

    var addedTokens: [AddedTokenMatcher.Token] = []
    var addedIDs: [String: Int] = [:]
    for (id, type) in data.tokenTypes.enumerated() where type == .control || type == .userDefined {
      let text = data.tokens[id]
      addedTokens.append(.init(bytes: Array(text.utf8), id: id, isControl: type == .control))
      if addedIDs[text] == nil { addedIDs[text] = id }
    }

    let classes = UnsafePointer(UnicodeTable.shared.classes)
    encoder = TextEncoder(
      bpe: BPEModel(byteIDs: byteIDs, merges: merges), added: AddedTokenMatcher(addedTokens),
      preTokenizer: Qwen2PreTokenizer(classes: classes), normalizer: NFCNormalizer(classes: classes))
    decoder = TokenDecoder(data: data)
    self.addedIDs = addedIDs
    self.vocabulary = vocabulary
  }

  /// "left right": split at the first space after the first character (llama.cpp does the same, so a
  /// left part may itself start with a space), then look up both parts and their concatenation. A BPE
  /// vocabulary usually lists merge r's result at id 256 + r (all of Qwen2's do): that id is checked
  /// first (when no two tokens share a spelling, so that it is the one a lookup would find), which saves a
  /// third of the hash lookups of loading.
  private static func addMerge(
    _ merge: String, rank: Int, data: TokenizerData?, vocabulary: ByteStringTable, into merges: inout MergeTable,
    scratch: inout [UInt8]
  ) throws {
    var merge = merge
    let result: (UInt32, UInt32, UInt32)? = merge.withUTF8 { utf8 in
      guard utf8.count >= 3, let p = utf8.baseAddress, let space = utf8[1...].firstIndex(of: 0x20),
        space + 1 < utf8.count
      else { return nil }
      let rightCount = utf8.count - space - 1
      guard let (left, _) = vocabulary.find(p, space, hash: ByteHash.hash(p, space)),
        let (right, _) = vocabulary.find(p + space + 1, rightCount, hash: ByteHash.hash(p + space + 1, rightCount))
      else { return nil }
      scratch.removeAll(keepingCapacity: true)
      scratch.append(contentsOf: UnsafeBufferPointer(start: p, count: space))
      scratch.append(contentsOf: UnsafeBufferPointer(start: p + space + 1, count: rightCount))
      let guess = 256 + rank
      if let data, guess < data.tokens.count, data.tokenTypes[guess] == .normal {
        var token = data.tokens[guess]
        if token.withUTF8({ $0.elementsEqual(scratch) }) { return (left, right, UInt32(guess)) }
      }
      return scratch.withUnsafeBufferPointer { s in
        vocabulary.find(s.baseAddress!, s.count, hash: ByteHash.hash(s.baseAddress!, s.count)).map { (left, right, $0.0) }
      }
    }
    guard let (left, right, merged) = result else {
      throw TokenizerError.badMerge(
        index: rank, merge: merge, reason: "not two tokens whose concatenation is in the vocabulary")
    }
    merges.set(left, right, rank: UInt32(rank), merged: merged)
  }

  // MARK: - Encoding

  /// The token ids of `text`. With `special`, added tokens such as `<|im_start|>` in the text become
  /// their ids (chat prompts); without it, control tokens are plain text (text from a model must never
  /// inject them), while user-defined added tokens (`<tool_call>`) still match, as in HF and llama.cpp.
  public func encode(_ text: String, special: Bool) -> [Int] {
    var text = text
    return text.withUTF8 { encode(utf8: $0, special: special) }
  }

  /// The same for bytes that are valid UTF-8: the matchers decode scalars without checking.
  func encode(utf8 text: UnsafeBufferPointer<UInt8>, special: Bool) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(text.count / 3 + 4)
    lock.lock()
    encoder.encode(text, special: special, into: &out)
    lock.unlock()
    return out
  }

  /// The BPE stage, for tests.
  var bpeModel: BPEModel {
    lock.lock()
    defer { lock.unlock() }
    return encoder.bpe
  }

  // MARK: - Decoding

  /// The text of `ids`, exactly: `decode(encode(x)) == x`. Bytes that do not form valid UTF-8 (a cut
  /// through a character) become U+FFFD, as in HF. Ids outside the vocabulary are skipped.
  public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
    String(decoding: decodedBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
  }

  /// The raw bytes of `ids`, before UTF-8 decoding.
  public func decodedBytes(_ ids: [Int], skipSpecialTokens: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(ids.count * 4)
    for id in ids { decoder.append(id, skipControl: skipSpecialTokens, to: &out) }
    return out
  }

  /// A decoder that turns ids into text as they arrive, never cutting a character.
  public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
    StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
  }

  // MARK: - Lookup

  /// The id of an added token such as "<|im_end|>", or of a normal token whose bytes are exactly this
  /// text's.
  public func tokenId(_ text: String) -> Int? {
    if let id = addedIDs[text] { return id }
    return vocabulary.find(Array(ByteEncoder.token(ofBytes: Array(text.utf8)).utf8)).map { Int($0.0) }
  }

  /// A text that `tokenId` maps back to `id` (a control token's spelling, or the token's text), or nil.
  public func tokenText(_ id: Int) -> String? {
    guard id >= 0, id < data.tokens.count else { return nil }
    for text in [data.tokens[id], decode([id])] where tokenId(text) == id { return text }
    return nil
  }

  /// Whether `id` is a control token (`<|endoftext|>`, `<|im_start|>`, ...).
  public func isControl(_ id: Int) -> Bool {
    id >= 0 && id < data.tokenTypes.count && data.tokenTypes[id] == .control
  }
}
