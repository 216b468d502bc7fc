/// How `Aggregator` turns a sample set into an answer (the `ssa aggregate` options).
public struct AggregationOptions: Equatable, Sendable {
  public var format: PromptFormat
  /// Use the first `k` samples of each request; nil for all.
  public var k: Int?
  public var maxTokens: Int
  public var temperature: Double
  public var topK: Int
  public var seed: UInt64
  /// Keep the model's text before its answer in the record.
  public var reasoning: Bool
  /// How the answer is reached (free generation, a choice among the samples' answers, a vote...).
  public var method: AggregationMethod
  /// Orders of the samples read by the order-free methods (`debiased`, `ensemble`, `tiebreak`,
  /// `calibrated`): rotations of the samples, evenly spaced; nil for k (each sample in each position once).
  public var rotations: Int?
  /// How the scoring methods read the samples: in rotations, or each alone (pointwise).
  public var evidence: EvidenceKind
  /// When the model gives no answer, answer the majority (marked `source: fallback`).
  public var fallbackMajority: Bool
  /// When every sample states the same answer, answer it without running the model.
  public var skipUnanimous: Bool
  /// Shorten the middle of the samples when the prompt does not fit, instead of an error record.
  public var truncate: Bool
  /// Aggregate groups of this many samples, then the groups' winners; nil for one stage.
  public var group: Int?
  /// With `truncate`, the tokens kept at least at the end of each sample (where its answer is).
  public var minimumTail: Int

  public init(format: PromptFormat = .ssa, k: Int? = nil, maxTokens: Int = 512, temperature: Double = 0,
              topK: Int = 0, seed: UInt64 = 0, reasoning: Bool = false, method: AggregationMethod = .generate,
              rotations: Int? = nil, evidence: EvidenceKind = .rotations,
              fallbackMajority: Bool = false, skipUnanimous: Bool = false, truncate: Bool = false,
              group: Int? = nil, minimumTail: Int = 32) {
    self.format = format
    self.k = k
    self.maxTokens = maxTokens
    self.temperature = temperature
    self.topK = topK
    self.seed = seed
    self.reasoning = reasoning
    self.method = method
    self.rotations = rotations
    self.evidence = evidence
    self.fallbackMajority = fallbackMajority
    self.skipUnanimous = skipUnanimous
    self.truncate = truncate
    self.group = group
    self.minimumTail = minimumTail
  }

  /// The method scores candidates (and the record carries `scores`).
  public var choose: Bool { method.scoresCandidates }

  /// The generation settings for a prompt of `promptTokens` tokens in a context of `contextLength`.
  public func generationSettings(promptTokens: Int, contextLength: Int) -> GenerationSettings {
    var stops = ["<|endoftext|>"]
    if format == .chat { stops.append("<|im_end|>") }
    return GenerationSettings(maxTokens: max(0, min(maxTokens, contextLength - promptTokens)),
                              sampling: SamplingSettings(temperature: Float(temperature), topK: topK, seed: seed),
                              stopSequences: [PromptFormat.stopSequence], stopTokens: stops)
  }
}
