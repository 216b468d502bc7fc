import Foundation

/// The aggregation pipeline's model: a Qwen2 model, its tokenizer and one session whose KV cache is
/// kept between requests, so the instruction text every prompt of a run starts with is computed once.
public final class ModelEngine: AggregationEngine {
  public let model: Qwen2Model
  public let tokenizer: Tokenizer
  public let cacheType: GGMLType
  private let generator: Generator
  private var session: Session?

  public init(model: Qwen2Model, tokenizer: Tokenizer, cacheType: GGMLType = .f16) {
    self.model = model
    self.tokenizer = tokenizer
    self.cacheType = cacheType
    generator = Generator(model: model, tokenizer: tokenizer)
  }

  public var contextLength: Int { model.config.contextLength }

  public var recordedPromptFormat: PromptFormat? { model.config.promptFormat.flatMap(PromptFormat.init(rawValue:)) }

  public func recordedCalibration() throws -> Calibration? {
    try Calibration(gguf: model.file, hiddenSize: model.config.hiddenSize, layerCount: model.config.layerCount)
  }

  public func encode(_ prompt: Prompt) -> [Int] { tokenizer.encode(prompt) }

  public func tokenCount(_ prompt: Prompt) throws -> Int { encode(prompt).count }

  /// A session that can hold `length` tokens, keeping the current one (and its cached prefix) when
  /// it is large enough. Capacity grows in steps of 1,024 so the KV cache stays near what is used.
  private func session(holding length: Int) throws -> Session {
    if let s = session, s.capacity >= length { return s }
    let capacity = min(contextLength, (length + 1023) / 1024 * 1024)
    guard length <= capacity else { throw ModelError.contextOverflow(needed: length, capacity: contextLength) }
    session = nil  // free the old cache first
    let s = try Session(model: model, capacity: capacity, cacheType: cacheType)
    session = s
    return s
  }

  public func complete(_ prompt: Prompt, settings: GenerationSettings) throws -> Completion {
    let ids = encode(prompt)
    // saturating: a limit near Int.max means "up to the context", and fails as an overflow of it
    let (needed, overflow) = ids.count.addingReportingOverflow(max(0, settings.maxTokens))
    let s = try session(holding: overflow ? Int.max : needed)
    var stopTokens = Set<Int>()
    for text in settings.stopTokens { if let id = tokenizer.tokenId(text) { stopTokens.insert(id) } }
    let decode = DecodeSettings(
      maxTokens: settings.maxTokens,
      sampling: SamplingSettings(temperature: Float(settings.temperature), topK: settings.topK, seed: settings.seed),
      stopTokens: stopTokens, stopStrings: settings.stopSequences)
    guard settings.maxTokens > 0 else {
      return Completion(text: "", promptTokens: ids.count, generatedTokens: 0, stopReason: .maxTokens)
    }
    // Ctrl-C stops a long generation at the next token; the request then fails (its record says so)
    // and the run ends with every finished record written.
    let result = try generator.generate(prompt: ids, session: s, settings: decode) { _ in !SignalHandling.interrupted }
    if result.stopReason == .cancelled { throw GenerationInterrupted() }
    let reason: Completion.StopReason
    switch result.stopReason {
    case .stopString: reason = .stopSequence
    case .endOfText: reason = .endOfText
    default: reason = .maxTokens
    }
    return Completion(text: result.text, promptTokens: ids.count, generatedTokens: result.tokens.count, stopReason: reason)
  }

  public func score(_ continuations: [Prompt], after prompt: Prompt, hiddenLayers: [Int]) throws -> [ContinuationScore] {
    let ids = encode(prompt)
    let options = continuations.map(encode)
    let longest = options.map(\.count).max() ?? 0
    let s = try session(holding: ids.count + longest)
    if s.capturedLayers != hiddenLayers { try s.capture(layers: hiddenLayers) }
    let reused = s.reusePrefix(of: ids)
    let last = try s.forward(Array(ids[reused...]), logits: .last)
    let promptEnd = s.position
    // The prompt's last logits predict each continuation's first token.
    let first = Array(last)
    var scores: [ContinuationScore] = []
    for option in options {
      guard let head = option.first else {
        scores.append(ContinuationScore(logProbability: 0, tokenCount: 0, hidden: hiddenLayers.map { _ in [] }))
        continue
      }
      var total = first.withUnsafeBufferPointer { Perplexity.logSoftmax($0, at: head) }
      var hidden: [[Float]] = []
      s.rewind(to: promptEnd)
      if hiddenLayers.isEmpty {
        if option.count > 1 {
          try s.forward(Array(option.dropLast()), logits: .all({ i, logits in
            total += Perplexity.logSoftmax(logits, at: option[i + 1])
          }))
        }
      } else {
        // the whole continuation runs, so that its last token's hidden states exist (its logits are unused)
        try s.forward(option, logits: .all({ i, logits in
          if i + 1 < option.count { total += Perplexity.logSoftmax(logits, at: option[i + 1]) }
        }))
        let lastRow = (option.count - 1) % s.chunkTokens
        hidden = hiddenLayers.indices.map { s.captured($0, row: lastRow) }
      }
      scores.append(ContinuationScore(logProbability: total, tokenCount: option.count, hidden: hidden))
    }
    s.rewind(to: promptEnd)
    return scores
  }
}

/// A generation stopped by SIGINT before it finished.
public struct GenerationInterrupted: Error, CustomStringConvertible {
  public var description: String { "interrupted before the answer was complete" }
}
