/// What the aggregation pipeline needs from a language model; the model runtime implements it.
///
/// Contract, for implementers:
/// - Tokenize a `Prompt` through `prompt.pieces(specialTokens:)`: special tokens only from template
///   text, every `.text` piece encoded with special-token parsing off. No BOS is added (none of the
///   three formats has one).
/// - Prompts of one run share their template head (`prompt.fixedPrefix`): keep the KV cache of the
///   previous prompt and reuse its longest common token prefix, so the instruction text is computed
///   once per run, not once per request.
/// - Deterministic: the same prompt and settings give the same result (sampling uses `settings.seed`,
///   reseeded per call).
/// - Throw (a typed, described error) for runtime failures; the pipeline turns them into an error record.
public protocol AggregationEngine: AnyObject {
  /// Tokens the model attends to, prompt and generated together.
  var contextLength: Int { get }

  /// The prompt format recorded in the model file, or nil when it records none.
  var recordedPromptFormat: PromptFormat? { get }

  /// The `calibrated` method's weights recorded in the model file, or nil; a malformed record throws.
  func recordedCalibration() throws -> Calibration?

  /// The number of tokens `prompt` encodes to (what `complete` would prefill).
  func tokenCount(_ prompt: Prompt) throws -> Int

  /// Generates a continuation of `prompt`. The returned text is the decoded new tokens only, the stop
  /// sequence included when generation stopped on it, end-of-text tokens excluded.
  func complete(_ prompt: Prompt, settings: GenerationSettings) throws -> Completion

  /// For `--choose` and the order-free methods: each continuation right after `prompt`, teacher-forced:
  /// its log-probability (natural log, summed over its tokens), its token count, and the model's
  /// hidden state after its last token at each of `hiddenLayers` (the output of that layer, 0-based;
  /// empty when none are asked for). Prefill the prompt once and share its KV cache across the
  /// continuations. Tokenize each continuation on its own (through `pieces`, like a prompt): a model
  /// generating after the prompt's last token could not merge tokens across that seam either.
  func score(_ continuations: [Prompt], after prompt: Prompt, hiddenLayers: [Int]) throws -> [ContinuationScore]
}

extension AggregationEngine {
  /// The `calibrated` method's weights recorded in the model file (none by default).
  public func recordedCalibration() throws -> Calibration? { nil }

  /// The log-probability of each continuation after `prompt` (see `score`).
  public func logProbabilities(of continuations: [Prompt], after prompt: Prompt) throws -> [Double] {
    try score(continuations, after: prompt, hiddenLayers: []).map(\.logProbability)
  }
}

/// What the model makes of one teacher-forced continuation.
public struct ContinuationScore: Equatable, Sendable {
  /// Natural log, summed over the continuation's tokens.
  public var logProbability: Double
  public var tokenCount: Int
  /// The hidden state after the continuation's last token, one vector per requested layer.
  public var hidden: [[Float]]

  public init(logProbability: Double, tokenCount: Int, hidden: [[Float]] = []) {
    self.logProbability = logProbability
    self.tokenCount = tokenCount
    self.hidden = hidden
  }
}

/// How to generate: greedy when `temperature` is 0.
public struct GenerationSettings: Equatable, Sendable {
  /// New tokens at most (already capped by the pipeline to the context left after the prompt).
  public var maxTokens: Int
  public var temperature: Double
  /// Sample among the `topK` most likely tokens; 0 means no limit.
  public var topK: Int
  public var seed: UInt64
  /// Stop once the generated text ends with one of these (kept in the output): `</answer>`.
  public var stopSequences: [String]
  /// Special tokens that end generation (not part of the output): `<|endoftext|>`, and `<|im_end|>`
  /// for the chat format.
  public var stopTokens: [String]

  public init(maxTokens: Int = 512, temperature: Double = 0, topK: Int = 0, seed: UInt64 = 0,
              stopSequences: [String] = [PromptFormat.stopSequence], stopTokens: [String] = ["<|endoftext|>"]) {
    self.maxTokens = maxTokens
    self.temperature = temperature
    self.topK = topK
    self.seed = seed
    self.stopSequences = stopSequences
    self.stopTokens = stopTokens
  }
}

/// What a generation produced.
public struct Completion: Equatable, Sendable {
  public enum StopReason: String, Equatable, Sendable {
    case stopSequence
    case endOfText
    case maxTokens
  }

  public var text: String
  public var promptTokens: Int
  public var generatedTokens: Int
  public var stopReason: StopReason

  public init(text: String, promptTokens: Int, generatedTokens: Int, stopReason: StopReason) {
    self.text = text
    self.promptTokens = promptTokens
    self.generatedTokens = generatedTokens
    self.stopReason = stopReason
  }
}
