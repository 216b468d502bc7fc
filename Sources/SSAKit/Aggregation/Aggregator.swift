import Foundation

/// The decisions of `ssa aggregate`, over any `AggregationEngine`: which samples, whether to run the
/// model at all (unanimous sets), fitting the context (error or truncation), free generation or
/// constrained choice, extracting the answer, the majority fallback, and grouping for large k.
public final class Aggregator: @unchecked Sendable {
  public let engine: AggregationEngine
  public let options: AggregationOptions
  /// The fitted weights of the `calibrated` method (and its probe), from the model file.
  public let calibration: Calibration?
  /// Evidence shared with other aggregators over the same records (`ssa eval --methods`).
  public let cache: EvidenceCache?

  public init(engine: AggregationEngine, options: AggregationOptions, calibration: Calibration? = nil,
              cache: EvidenceCache? = nil) {
    self.engine = engine
    var options = options
    // the calibrated method reads the samples the way its weights were fitted
    if options.method == .calibrated, let calibration { options.evidence = calibration.evidence }
    self.options = options
    self.calibration = calibration
    self.cache = cache
  }

  /// What one stage (one prompt, or none) produced.
  struct Outcome {
    var answer: String?
    var source: AnswerSource
    var promptTokens = 0
    var generatedTokens = 0
    var reasoning: String?
    var scores: [AggregationResult.Score]?
    /// Model time of evidence that came from the cache (what this method would have spent on it).
    var cachedSeconds = 0.0
  }

  public func aggregate(question: String, samples all: [String]) throws -> AggregationResult {
    let clock = ContinuousClock()
    let start = clock.now
    let samples = options.k.map { Array(all.prefix($0)) } ?? all
    guard !samples.isEmpty else { throw AggregationError.noSamples }
    let vote = MajorityVote(samples: samples)
    let outcome: Outcome
    if let g = options.group, g > 0, samples.count > g {
      outcome = try grouped(question: question, samples: samples, size: g, vote: vote)
    } else {
      outcome = try stage(question: question, samples: samples, vote: vote)
    }
    var result = AggregationResult(
      answer: outcome.answer, source: outcome.source, majority: vote.winner?.text, agreement: vote.agreement,
      promptTokens: outcome.promptTokens, generatedTokens: outcome.generatedTokens,
      seconds: Aggregator.seconds(clock.now - start),
      reasoning: options.reasoning ? outcome.reasoning : nil, scores: options.choose ? outcome.scores ?? [] : nil)
    result.reusedSeconds = outcome.cachedSeconds
    return result
  }

  /// One aggregation over `samples`: skip, run the method, then fall back if asked.
  func stage(question: String, samples: [String], vote: MajorityVote) throws -> Outcome {
    if options.skipUnanimous, vote.isUnanimous, let winner = vote.winner {
      return Outcome(answer: winner.text, source: .unanimous)
    }
    var outcome: Outcome
    switch options.method {
    case .majority:
      outcome = Outcome(answer: vote.winner?.text, source: .majority)
    case .generate:
      outcome = try generate(prompt: fittedPrompt(question: question, samples: samples))
    case .choose:
      let prompt = try fittedPrompt(question: question, samples: samples)
      outcome = try choose(prompt: prompt, candidates: vote.candidates)
      outcome.promptTokens = prompt.count
    case .debiased:
      outcome = try picked(question: question, samples: samples, vote: vote) { $0.meanLogProbability }
    case .tiebreak:
      outcome = try tiebreak(question: question, samples: samples, vote: vote)
    case .calibrated:
      guard let calibration else { throw AggregationError.notCalibrated }
      outcome = try picked(question: question, samples: samples, vote: vote,
                           layers: calibration.probe.map { [$0.layer] } ?? []) { calibration.scores($0) }
    case .ensemble:
      outcome = try ensemble(question: question, samples: samples, vote: vote)
    }
    if outcome.answer == nil, options.fallbackMajority, let winner = vote.winner {
      outcome.answer = winner.text
      outcome.source = .fallback
    }
    return outcome
  }

  /// The candidate of `vote` (among those at `only`) with the highest score; a single candidate is
  /// answered without the model (no score could pick another).
  func picked(question: String, samples: [String], vote: MajorityVote, only: [Int]? = nil, layers: [Int] = [],
              score: (CandidateEvidence) -> [Double]) throws -> Outcome {
    let chosen = only ?? Array(vote.candidates.indices)
    if chosen.count == 1 {
      let answer = vote.candidates[chosen[0]].text
      return Outcome(answer: answer, source: .model, scores: [AggregationResult.Score(answer: answer, logProbability: 0)])
    }
    // Shared evidence keeps every layer any method of this calibration reads.
    let layers = cache == nil ? layers : (calibration?.probe.map { [$0.layer] } ?? [])
    let key = EvidenceCache.Key(question: question, samples: samples, rotations: options.rotations,
                                evidence: options.evidence, format: options.format, layers: layers)
    if let cache, let (full, seconds) = cache[key] {
      let evidence = full.selecting(chosen)
      var outcome = Aggregator.pick(evidence, scores: score(evidence))
      outcome.cachedSeconds = seconds
      return outcome
    }
    let clock = ContinuousClock()
    let start = clock.now
    // with a cache, every candidate is scored, so that other methods find what they need
    let evidence = try self.evidence(question: question, samples: samples, vote: vote,
                                     only: cache == nil ? chosen : nil, layers: layers)
    cache?[key] = (evidence, Aggregator.seconds(clock.now - start))
    let used = cache == nil ? evidence : evidence.selecting(chosen)
    return Aggregator.pick(used, scores: score(used))
  }

  /// The model's evidence on the candidates of `vote` (all of them, or those at `only`), with the
  /// hidden states of `layers`: read in the rotations of `options.rotations`, or (pointwise) with each
  /// sample alone in the prompt, scored on its own answer.
  public func evidence(question: String, samples: [String], vote: MajorityVote, only: [Int]? = nil,
                       layers: [Int] = []) throws -> CandidateEvidence {
    let chosen = only ?? Array(vote.candidates.indices)
    let candidates = chosen.map { vote.candidates[$0] }
    let continuations = candidates.map { options.format.choiceContinuation($0.text) }
    var sums = EvidenceSums(candidates: candidates.count, layers: layers.count)
    var orderScores: [[Double]] = []
    var promptTokens = 0
    let offsets: [Int]
    switch options.evidence {
    case .rotations:
      offsets = CandidateEvidence.offsets(k: samples.count, rotations: options.rotations)
      for offset in offsets {
        let prompt = try fittedPrompt(question: question, samples: CandidateEvidence.rotated(samples, by: offset))
        promptTokens += prompt.count
        let scores = candidates.isEmpty ? [] : try engine.score(continuations, after: prompt, hiddenLayers: layers)
        guard scores.count == candidates.count else { throw AggregationError.badTokenCount(scores.count) }
        orderScores.append(scores.map(\.logProbability))
        for (c, score) in scores.enumerated() { sums.add(score, to: c) }
      }
    case .pointwise:
      offsets = []
      var logProbabilities = [Double](repeating: 0, count: candidates.count)
      for (i, sample) in samples.enumerated() {
        guard let answer = vote.answers[i], let c = candidates.firstIndex(of: answer) else { continue }
        let prompt = try fittedPrompt(question: question, samples: [sample])
        promptTokens += prompt.count
        let scores = try engine.score([continuations[c]], after: prompt, hiddenLayers: layers)
        guard scores.count == 1 else { throw AggregationError.badTokenCount(scores.count) }
        logProbabilities[c] += scores[0].logProbability
        sums.add(scores[0], to: c)
      }
      orderScores = [zip(logProbabilities, sums.counts).map { $1 > 0 ? $0 / Double($1) : 0 }]
    }
    return CandidateEvidence(candidates: candidates, counts: chosen.map { vote.counts[$0] }, sampleCount: samples.count,
                             offsets: offsets, orderLogProbabilities: orderScores, tokenCounts: sums.tokenCounts,
                             hidden: sums.meanHidden, promptTokens: promptTokens)
  }

  /// The candidate with the highest score (the first on a tie), with every score in the record.
  static func pick(_ evidence: CandidateEvidence, scores: [Double]) -> Outcome {
    guard !evidence.candidates.isEmpty else { return Outcome(answer: nil, source: .model, scores: []) }
    var best = 0
    for i in scores.indices where scores[i] > scores[best] { best = i }
    return Outcome(answer: evidence.candidates[best].text, source: .model, promptTokens: evidence.promptTokens,
                   scores: zip(evidence.candidates, scores).map { AggregationResult.Score(answer: $0.text, logProbability: $1) })
  }

  /// Majority vote, the model deciding only among the answers tied for the most votes.
  func tiebreak(question: String, samples: [String], vote: MajorityVote) throws -> Outcome {
    let top = vote.counts.max() ?? 0
    let tied = vote.counts.indices.filter { vote.counts[$0] == top }
    guard tied.count > 1 else { return Outcome(answer: vote.winner?.text, source: .majority) }
    return try picked(question: question, samples: samples, vote: vote, only: tied) { $0.meanLogProbability }
  }

  /// One free answer per rotation of the samples, then a vote among those answers (ties: the answer
  /// with more sample votes, then the earlier rotation's).
  func ensemble(question: String, samples: [String], vote: MajorityVote) throws -> Outcome {
    var total = Outcome(answer: nil, source: .model)
    var answers: [Answer?] = []
    for offset in CandidateEvidence.offsets(k: samples.count, rotations: options.rotations) {
      let outcome = try generate(prompt: fittedPrompt(question: question, samples: CandidateEvidence.rotated(samples, by: offset)))
      total.promptTokens += outcome.promptTokens
      total.generatedTokens += outcome.generatedTokens
      answers.append(outcome.answer.flatMap { Answer($0) })
    }
    let ensembleVote = MajorityVote(answers: answers)
    let sampleVotes = { (a: Answer) in vote.candidates.firstIndex(of: a).map { vote.counts[$0] } ?? 0 }
    var best: Int?
    for i in ensembleVote.candidates.indices {
      guard let b = best else { best = i; continue }
      let key = (ensembleVote.counts[i], sampleVotes(ensembleVote.candidates[i]))
      let bestKey = (ensembleVote.counts[b], sampleVotes(ensembleVote.candidates[b]))
      if key > bestKey { best = i }
    }
    total.answer = best.map { ensembleVote.candidates[$0].text }
    return total
  }

  /// The prompt for `samples`, encoded, shortened with `--truncate` or refused when too long.
  func fittedPrompt(question: String, samples: [String]) throws -> EncodedPrompt {
    let context = engine.contextLength
    let prompt: Prompt
    if options.truncate {
      let reserve = min(options.maxTokens, context / 2)
      let truncator = PromptTruncator(format: options.format, budget: context - reserve,
                                      minimumTail: options.minimumTail, contextLength: context,
                                      count: engine.tokenCount)
      prompt = try truncator.fit(question: question, samples: samples).prompt
    } else {
      prompt = options.format.render(question: question, samples: samples)
    }
    let encoded = try engine.encode(prompt)
    guard encoded.count <= context else { throw AggregationError.contextTooLong(promptTokens: encoded.count, contextLength: context) }
    return encoded
  }

  func generate(prompt: EncodedPrompt) throws -> Outcome {
    let settings = options.generationSettings(promptTokens: prompt.count, contextLength: engine.contextLength)
    let completion = try engine.complete(prompt, settings: settings)
    let (answer, reasoning) = Aggregator.split(completion, format: options.format)
    return Outcome(answer: answer, source: .model, promptTokens: completion.promptTokens,
                   generatedTokens: completion.generatedTokens, reasoning: reasoning)
  }

  /// `--choose`: the candidate whose `<answer>X</answer>` the model finds most likely (first on a tie).
  func choose(prompt: EncodedPrompt, candidates: [Answer]) throws -> Outcome {
    guard !candidates.isEmpty else { return Outcome(answer: nil, source: .model, scores: []) }
    let continuations = candidates.map { options.format.choiceContinuation($0.text) }
    let logProbabilities = try engine.logProbabilities(of: continuations, after: prompt)
    guard logProbabilities.count == candidates.count else {
      throw AggregationError.badTokenCount(logProbabilities.count)
    }
    var best = 0
    for i in logProbabilities.indices where logProbabilities[i] > logProbabilities[best] { best = i }
    let scores = zip(candidates, logProbabilities).map { AggregationResult.Score(answer: $0.text, logProbability: $1) }
    return Outcome(answer: candidates[best].text, source: .model, scores: scores)
  }

  /// `--group G`: aggregate each run of G samples, then the groups' winners. Each group is represented
  /// in the second stage by its first sample that states the group's answer (full reasoning intact), or
  /// by the sentence "The answer is X." when the group's answer is none of its samples'.
  func grouped(question: String, samples: [String], size: Int, vote: MajorityVote) throws -> Outcome {
    var total = Outcome(answer: nil, source: .unanimous)
    var usedModel = false
    var representatives: [String] = []
    var winners: [String] = []
    for first in stride(from: 0, to: samples.count, by: size) {
      let group = Array(samples[first..<min(first + size, samples.count)])
      let groupVote = MajorityVote(samples: group)
      let outcome = try stage(question: question, samples: group, vote: groupVote)
      total.promptTokens += outcome.promptTokens
      total.generatedTokens += outcome.generatedTokens
      total.cachedSeconds += outcome.cachedSeconds
      if outcome.source != .unanimous { usedModel = true }
      guard let text = outcome.answer, let answer = Answer(text) else { continue }
      let index = groupVote.answers.firstIndex { $0 == answer }
      representatives.append(index.map { group[$0] } ?? "The answer is \(answer.text).")
      winners.append(text)
    }
    var final: Outcome
    if representatives.count > 1 {
      final = try stage(question: question, samples: representatives, vote: MajorityVote(samples: representatives))
      if final.source != .unanimous { usedModel = true }
    } else {
      final = Outcome(answer: winners.first, source: .model)
    }
    if final.answer == nil, options.fallbackMajority, let winner = vote.winner {
      final.answer = winner.text
      final.source = .fallback
    } else if final.source != .fallback {
      final.source = usedModel ? .model : .unanimous
    }
    final.promptTokens += total.promptTokens
    final.cachedSeconds += total.cachedSeconds
    final.generatedTokens += total.generatedTokens
    return final
  }

  /// The answer (text inside the last `<answer>...</answer>`) and the text before its open tag. The prompt's
  /// open tag is put back in front first: the "answer" format's output starts inside `<answer>`. In
  /// that format an output ended by end-of-text without `</answer>` is read as the answer too.
  static func split(_ completion: Completion, format: PromptFormat) -> (answer: String?, reasoning: String) {
    let output = format.openTag + completion.text
    var answer = AnswerExtractor.taggedAnswer(in: output)
    if answer == nil, format == .answer, completion.stopReason == .endOfText {
      answer = AnswerExtractor.trimmed(completion.text)
    }
    if answer?.isEmpty == true { answer = nil }
    // with an answer, the text before its open tag (none in the "answer" format: it starts inside it)
    var reasoning = Substring(completion.text)
    if answer != nil {
      let whole = Substring(output)
      reasoning = whole.range(of: "<answer>", options: .backwards).map { whole[..<$0.lowerBound] } ?? reasoning
    }
    var text = AnswerExtractor.trimmed(String(reasoning))
    if text.hasPrefix("<think>") { text = AnswerExtractor.trimmed(String(text.dropFirst(7))) }
    if text.hasSuffix("</think>") { text = AnswerExtractor.trimmed(String(text.dropLast(8))) }
    return (answer, text)
  }

  public static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
