/// Decodes ids as they are generated: each `append` returns the text that is complete so far and holds
/// back the bytes of a character cut between tokens. The concatenation of everything returned, with
/// `finish()`, equals `Tokenizer.decode` of all the ids.
public struct StreamingDecoder {
  private let tokenizer: Tokenizer
  private let skipSpecialTokens: Bool
  private var pending: [UInt8] = []

  init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
    self.tokenizer = tokenizer
    self.skipSpecialTokens = skipSpecialTokens
  }

  /// The new text that `id` completes (possibly empty).
  public mutating func append(_ id: Int) -> String {
    tokenizer.decoder.append(id, skipControl: skipSpecialTokens, to: &pending)
    let cut = UTF8Boundary.completePrefix(pending)
    guard cut > 0 else { return "" }
    let text = String(decoding: pending[..<cut], as: UTF8.self)
    pending.removeFirst(cut)
    return text
  }

  /// The rest: bytes of an unfinished character become U+FFFD.
  public mutating func finish() -> String {
    defer { pending.removeAll() }
    return String(decoding: pending, as: UTF8.self)
  }

  /// Bytes held back, waiting for the rest of their character.
  public var pendingByteCount: Int { pending.count }
}
