import Foundation

/// What to generate and when to stop.
public struct GenerationSettings: Sendable {
  public var maxTokens: Int
  public var sampling: SamplingSettings
  /// Token ids that end generation (not included in the text): end-of-text, `<|im_end|>`.
  public var stopTokens: Set<Int>
  /// Strings that end generation right after their first occurrence (included in the text).
  public var stopStrings: [String]

  public init(maxTokens: Int = 512, sampling: SamplingSettings = .greedy, stopTokens: Set<Int> = [],
              stopStrings: [String] = []) {
    self.maxTokens = maxTokens
    self.sampling = sampling
    self.stopTokens = stopTokens
    self.stopStrings = stopStrings
  }
}

public struct GenerationResult: Sendable {
  public enum StopReason: String, Sendable {
    case endOfText = "eos", stopString = "stop", maxTokens = "length", contextFull = "context", cancelled
  }

  public var tokens: [Int]
  public var text: String
  public var stopReason: StopReason
  public var promptTokens: Int
  /// Prompt tokens actually run (the rest came from the cached prefix).
  public var prefillTokens: Int
  public var prefillSeconds: Double
  public var decodeSeconds: Double

  public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(prefillTokens) / prefillSeconds : 0 }
  public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(tokens.count) / decodeSeconds : 0 }
}

/// The generation loop: prefill the prompt (reusing whatever prefix the session already holds), then
/// sample token by token, streaming text that never splits a UTF-8 character.
public final class Generator {
  public let model: Qwen2Model
  public let tokenizer: Tokenizer

  public init(model: Qwen2Model, tokenizer: Tokenizer) {
    self.model = model
    self.tokenizer = tokenizer
  }

  /// End-of-text and end-of-turn ids of this tokenizer (`<|endoftext|>`, `<|im_end|>`, the EOS id).
  public var defaultStopTokens: Set<Int> {
    var ids = Set<Int>()
    for text in ["<|endoftext|>", "<|im_end|>"] { if let id = tokenizer.tokenId(text) { ids.insert(id) } }
    if let eos = tokenizer.eosTokenId { ids.insert(eos) }
    return ids
  }

  /// Generate a continuation of `prompt` in `session`. `onText` receives text as it is produced and
  /// may return false to stop.
  public func generate(prompt: [Int], session: Session, settings: GenerationSettings,
                       onText: ((String) -> Bool)? = nil) throws -> GenerationResult {
    guard !prompt.isEmpty else { throw ModelError.emptyPrompt }
    guard prompt.count <= session.capacity else {
      throw ModelError.contextOverflow(needed: prompt.count, capacity: session.capacity)
    }
    let prefillStart = DispatchTime.now().uptimeNanoseconds
    let reused = session.reusePrefix(of: prompt)
    var logits = try session.forward(Array(prompt[reused...]), logits: .last)
    let prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - prefillStart) / 1e9

    var sampler = Sampler(settings.sampling)
    var decoder = tokenizer.makeStreamingDecoder()
    var tokens: [Int] = []
    var text = ""
    var reason = GenerationResult.StopReason.maxTokens
    let longestStop = settings.stopStrings.map(\.count).max() ?? 0
    let decodeStart = DispatchTime.now().uptimeNanoseconds
    generation: while tokens.count < settings.maxTokens {
      let token = sampler.sample(logits)
      if settings.stopTokens.contains(token) {
        reason = .endOfText
        break
      }
      tokens.append(token)
      var piece = decoder.append(token)
      if !piece.isEmpty, longestStop > 0 {
        // Look for a stop string that ends in the new piece; cut the text right after it.
        let searchFrom = text.index(text.endIndex, offsetBy: -min(text.count, longestStop))
        let window = String(text[searchFrom...]) + piece
        if let end = settings.stopStrings.compactMap({ window.range(of: $0)?.upperBound }).min() {
          piece = String(window[..<end].dropFirst(text.distance(from: searchFrom, to: text.endIndex)))
          text += piece
          _ = onText?(piece)
          reason = .stopString
          break generation
        }
      }
      text += piece
      if !piece.isEmpty, let onText, !onText(piece) {
        reason = .cancelled
        break
      }
      if tokens.count == settings.maxTokens { break }
      guard session.position < session.capacity else {
        reason = .contextFull
        break
      }
      logits = try session.forward([token], logits: .last)
    }
    if reason != .stopString {
      let rest = decoder.finish()
      text += rest
      if !rest.isEmpty { _ = onText?(rest) }
    }
    let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
    return GenerationResult(
      tokens: tokens, text: text, stopReason: reason, promptTokens: prompt.count,
      prefillTokens: prompt.count - reused, prefillSeconds: prefillSeconds, decodeSeconds: decodeSeconds)
  }
}
