import Foundation

public struct GenerationResult: Sendable {
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

  /// End-of-text and end-of-turn tokens of this tokenizer (`<|endoftext|>`, `<|im_end|>`, the EOS token).
  public var defaultStopTokens: [String] {
    var texts = ["<|endoftext|>", "<|im_end|>"]
    if let eos = tokenizer.eosTokenId, let text = tokenizer.tokenText(eos), !texts.contains(text) { texts.append(text) }
    return texts
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

    var state = GenerationState(settings: settings, tokenizer: tokenizer,
                                stopTokens: GenerationState.stopTokenIds(settings.stopTokens, tokenizer: tokenizer),
                                onText: onText)
    let decodeStart = DispatchTime.now().uptimeNanoseconds
    while let token = state.next(logits) {
      guard session.position < session.capacity else {
        state.end(.contextFull)
        break
      }
      logits = try session.forward([token], logits: .last)
    }
    let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
    return GenerationResult(
      tokens: state.tokens, text: state.text, stopReason: state.stopReason ?? .maxTokens, promptTokens: prompt.count,
      prefillTokens: prompt.count - reused, prefillSeconds: prefillSeconds, decodeSeconds: decodeSeconds)
  }
}
