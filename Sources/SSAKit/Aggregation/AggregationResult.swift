/// The outcome of one request: what `ssa aggregate` and `ssa vote` write for it.
public struct AggregationResult: Equatable, Sendable {
  /// The final answer: the model's (the text inside its last `<answer>...</answer>`), the unanimous
  /// answer, the fallback, or for `ssa vote` the majority; nil when there is none.
  public var answer: String?
  public var source: AnswerSource
  /// The majority-vote answer over the samples used.
  public var majority: String?
  /// Share of the samples used whose answer is the majority answer.
  public var agreement: Double
  public var promptTokens: Int
  public var generatedTokens: Int
  public var seconds: Double
  /// The model's text before its answer (with `--reasoning`), else nil.
  public var reasoning: String?
  /// With `--choose`: each candidate answer and its log-probability, in order of first appearance.
  public var scores: [Score]?
  /// Model time of evidence another method computed on the same sample set and this one reused
  /// (`ssa eval --methods`): not in `seconds`, but part of what the method costs on its own.
  public var reusedSeconds = 0.0

  public struct Score: Equatable, Sendable {
    public var answer: String
    public var logProbability: Double

    public init(answer: String, logProbability: Double) {
      self.answer = answer
      self.logProbability = logProbability
    }
  }

  public init(answer: String?, source: AnswerSource, majority: String?, agreement: Double,
              promptTokens: Int = 0, generatedTokens: Int = 0, seconds: Double = 0,
              reasoning: String? = nil, scores: [Score]? = nil) {
    self.answer = answer
    self.source = source
    self.majority = majority
    self.agreement = agreement
    self.promptTokens = promptTokens
    self.generatedTokens = generatedTokens
    self.seconds = seconds
    self.reasoning = reasoning
    self.scores = scores
  }

  /// The majority vote as a result (`ssa vote`): no model, so no tokens.
  public static func majorityVote(samples: [String], k: Int? = nil) -> AggregationResult {
    let clock = ContinuousClock()
    let start = clock.now
    let used = k.map { Array(samples.prefix($0)) } ?? samples
    let vote = MajorityVote(samples: used)
    let winner = vote.winner?.text
    return AggregationResult(answer: winner, source: .majority, majority: winner, agreement: vote.agreement,
                             seconds: Aggregator.seconds(clock.now - start))
  }

  /// The output record: `id`, `answer`, `source`, `majority`, `agreement`, `prompt_tokens`,
  /// `generated_tokens`, `seconds`, then `reasoning` and `scores` when present.
  public func record(id: JSON) -> JSON {
    var fields: [(String, JSON)] = [
      ("id", id),
      ("answer", answer.map(JSON.string) ?? .null),
      ("source", .string(source.rawValue)),
      ("majority", majority.map(JSON.string) ?? .null),
      ("agreement", .double(agreement)),
      ("prompt_tokens", .int(promptTokens)),
      ("generated_tokens", .int(generatedTokens)),
      ("seconds", .double((seconds * 1e6).rounded() / 1e6)),
    ]
    if let reasoning { fields.append(("reasoning", .string(reasoning))) }
    if let scores {
      fields.append(("scores", .object(scores.map { ($0.answer, .double($0.logProbability)) })))
    }
    return .object(fields)
  }

  /// The record of a request that failed: `{"id": ..., "line": N, "error": "..."}`.
  public static func errorRecord(id: JSON, line: Int, error: String) -> JSON {
    .object([("id", id), ("line", .int(line)), ("error", .string(error))])
  }
}
