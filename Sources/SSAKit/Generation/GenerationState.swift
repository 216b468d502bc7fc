/// One sequence's generation after its prompt: samples each next token with the sequence's own
/// sampler (its own seed), streams the text without splitting a UTF-8 character, and stops at a stop
/// token, a stop sequence (cut right after it), the token limit or when `onText` says so. The
/// single-sequence `Generator` and the batched engine both drive it, so they stop the same way.
struct GenerationState {
  private var sampler: Sampler
  private var decoder: StreamingDecoder
  let stopTokens: Set<Int>
  let stopSequences: [String]
  let maxTokens: Int
  private let longestStop: Int
  let onText: ((String) -> Bool)?
  private(set) var tokens: [Int] = []
  private(set) var text = ""
  private(set) var stopReason: StopReason?

  init(settings: GenerationSettings, tokenizer: Tokenizer, stopTokens: Set<Int>, onText: ((String) -> Bool)?) {
    sampler = Sampler(settings.sampling)
    decoder = tokenizer.makeStreamingDecoder()
    self.stopTokens = stopTokens
    stopSequences = settings.stopSequences
    maxTokens = settings.maxTokens
    longestStop = settings.stopSequences.map(\.count).max() ?? 0
    self.onText = onText
    if maxTokens <= 0 { stopReason = .maxTokens }
  }

  /// The ids of `texts` in this tokenizer (unknown texts are skipped).
  static func stopTokenIds(_ texts: [String], tokenizer: Tokenizer) -> Set<Int> {
    Set(texts.compactMap { tokenizer.tokenId($0) })
  }

  var isFinished: Bool { stopReason != nil }

  /// Chooses the token after `logits`. Returns it when it is to be fed back to the model (generation
  /// goes on), nil when generation ended (`stopReason` says why).
  mutating func next(_ logits: UnsafeBufferPointer<Float>) -> Int? {
    guard stopReason == nil else { return nil }
    let token = sampler.sample(logits)
    if stopTokens.contains(token) {
      end(.endOfText)
      return nil
    }
    tokens.append(token)
    var piece = decoder.append(token)
    if !piece.isEmpty, longestStop > 0 {
      // a stop sequence that ends in the new piece: cut the text right after it
      let searchFrom = text.index(text.endIndex, offsetBy: -min(text.count, longestStop))
      let window = String(text[searchFrom...]) + piece
      if let end = stopSequences.compactMap({ window.range(of: $0)?.upperBound }).min() {
        piece = String(window[..<end].dropFirst(text.distance(from: searchFrom, to: text.endIndex)))
        text += piece
        _ = onText?(piece)
        stopReason = .stopSequence
        return nil
      }
    }
    text += piece
    if !piece.isEmpty, let onText, !onText(piece) {
      end(.cancelled)
      return nil
    }
    if tokens.count >= maxTokens {
      end(.maxTokens)
      return nil
    }
    return token
  }

  /// Ends generation for a reason of the caller's (the context is full, a cancellation), flushing the
  /// text held back for an unfinished character.
  mutating func end(_ reason: StopReason) {
    guard stopReason == nil else { return }
    stopReason = reason
    let rest = decoder.finish()
    text += rest
    if !rest.isEmpty { _ = onText?(rest) }
  }
}
