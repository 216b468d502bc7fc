/// What the aggregation pipeline needs from a language model; the model runtime implements it.
///
/// Contract, for implementers:
/// - Tokenize a `Prompt` through `prompt.pieces(specialTokens:)`: special tokens only from template
///   text, every `.text` piece encoded with special-token parsing off. No BOS is added (none of the
///   three formats has one).
/// - Prompts of one run share their template head (the format's instruction text), and the orders of
///   one sample set share the question too: reuse the keys and values of the longest token prefix a
///   prompt shares with one computed before, so the shared text is computed once.
/// - Deterministic: the same prompt and settings give the same result (sampling uses the settings'
///   seed, reseeded per call), whatever else the engine runs at the same time.
/// - Safe to call from several threads at once when `maxConcurrentRequests` is above 1.
/// - Throw (a typed, described error) for runtime failures; the pipeline turns them into an error record.
public protocol AggregationEngine: AnyObject {
  /// Tokens the model attends to, prompt and generated together.
  var contextLength: Int { get }

  /// The prompt format recorded in the model file, or nil when it records none.
  var recordedPromptFormat: PromptFormat? { get }

  /// The `calibrated` method's weights recorded in the model file, or nil; a malformed record throws.
  func recordedCalibration() throws -> Calibration?

  /// Requests that may run at once (callers on that many threads); 1 for a sequential engine.
  var maxConcurrentRequests: Int { get }

  /// The prompt as token ids (what `complete` prefills), encoded once and handed back to run it.
  func encode(_ prompt: Prompt) throws -> EncodedPrompt

  /// Generates a continuation of `prompt`. The returned text is the decoded new tokens only, the stop
  /// sequence included when generation stopped on it, end-of-text tokens excluded.
  func complete(_ prompt: EncodedPrompt, settings: GenerationSettings) throws -> Completion

  /// For `--choose` and the order-free methods: each continuation right after `prompt`, teacher-forced:
  /// its log-probability (natural log, summed over its tokens), its token count, and the model's
  /// hidden state after its last token at each of `hiddenLayers` (the output of that layer, 0-based;
  /// empty when none are asked for). Prefill the prompt once and share its KV cache across the
  /// continuations. Tokenize each continuation on its own (through `pieces`, like a prompt): a model
  /// generating after the prompt's last token could not merge tokens across that seam either.
  func score(_ continuations: [Prompt], after prompt: EncodedPrompt, hiddenLayers: [Int]) throws -> [ContinuationScore]
}

/// A prompt and its token ids, as the engine that runs it encoded them.
public struct EncodedPrompt: Equatable, Sendable {
  public let prompt: Prompt
  public let ids: [Int]
  public var count: Int { ids.count }

  public init(prompt: Prompt, ids: [Int]) {
    self.prompt = prompt
    self.ids = ids
  }
}

extension AggregationEngine {
  /// The `calibrated` method's weights recorded in the model file (none by default).
  public func recordedCalibration() throws -> Calibration? { nil }

  public var maxConcurrentRequests: Int { 1 }

  /// The number of tokens `prompt` encodes to.
  public func tokenCount(_ prompt: Prompt) throws -> Int { try encode(prompt).count }

  /// The log-probability of each continuation after `prompt` (see `score`).
  public func logProbabilities(of continuations: [Prompt], after prompt: EncodedPrompt) throws -> [Double] {
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

