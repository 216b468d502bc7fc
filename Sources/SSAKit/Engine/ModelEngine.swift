import Foundation

/// The aggregation pipeline's model: a Qwen2 model and its tokenizer over the batched engine. With
/// `parallel` above 1, that many callers on their own threads have their requests run in one batch;
/// with 1 the engine runs one request at a time. Either way the keys and values of a prefix shared
/// with an earlier prompt (the instruction text; a question read in several orders) are reused.
public final class ModelEngine: AggregationEngine, @unchecked Sendable {
  public let model: Qwen2Model
  public let tokenizer: Tokenizer
  public let engine: BatchEngine

  public init(model: Qwen2Model, tokenizer: Tokenizer, cacheType: GGMLType = .f16, parallel: Int = 1,
              memoryBudget: Int = BatchEngine.defaultMemoryBudget) {
    self.model = model
    self.tokenizer = tokenizer
    engine = BatchEngine(model: model, tokenizer: tokenizer, configuration: BatchEngine.Configuration(
      maxSequences: parallel, memoryBudget: memoryBudget, cacheType: cacheType,
      retainedPrefixes: max(4, parallel)))
  }

  deinit { engine.shutdown() }

  public var contextLength: Int { model.config.contextLength }

  public var maxConcurrentRequests: Int { engine.scheduler.maxSequences }

  public var recordedPromptFormat: PromptFormat? { model.config.promptFormat.flatMap(PromptFormat.init(rawValue:)) }

  public func recordedCalibration() throws -> Calibration? {
    try Calibration(gguf: model.file, hiddenSize: model.config.hiddenSize, layerCount: model.config.layerCount)
  }

  public func encode(_ prompt: Prompt) throws -> EncodedPrompt { EncodedPrompt(prompt: prompt, ids: tokenizer.encode(prompt)) }

  public func complete(_ prompt: EncodedPrompt, settings: GenerationSettings) throws -> Completion {
    guard settings.maxTokens > 0 else {
      return Completion(text: "", promptTokens: prompt.count, generatedTokens: 0, stopReason: .maxTokens)
    }
    let result = try engine.generate(prompt: prompt.ids, settings: settings)
    if result.stopReason == .cancelled { throw SignalHandling.interrupted ? GenerationInterrupted() : GenerationCancelled() }
    return Completion(text: result.text, promptTokens: prompt.count, generatedTokens: result.tokens.count,
                      stopReason: result.stopReason)
  }

  public func score(_ continuations: [Prompt], after prompt: EncodedPrompt, hiddenLayers: [Int]) throws -> [ContinuationScore] {
    try engine.score(prompt: prompt.ids, continuations: continuations.map(tokenizer.encode), hiddenLayers: hiddenLayers)
  }
}

/// A generation stopped by SIGINT before it finished.
public struct GenerationInterrupted: Error, CustomStringConvertible {
  public var description: String { "interrupted before the answer was complete" }
}
