import Foundation

/// The decisions of `ssa aggregate`, over any `AggregationEngine`: which samples, whether to run the
/// model at all (unanimous sets), fitting the context (error or truncation), free generation or
/// constrained choice, extracting the answer, the majority fallback, and grouping for large k.
public final class Aggregator {
  public let engine: AggregationEngine
  public let options: AggregationOptions

  public init(engine: AggregationEngine, options: AggregationOptions) {
    self.engine = engine
    self.options = options
  }

  /// What one stage (one prompt, or none) produced.
  struct Outcome {
    var answer: String?
    var source: AnswerSource
    var promptTokens = 0
    var generatedTokens = 0
    var reasoning: String?
    var scores: [AggregationResult.Score]?
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
    return AggregationResult(
      answer: outcome.answer, source: outcome.source, majority: vote.winner?.text, agreement: vote.agreement,
      promptTokens: outcome.promptTokens, generatedTokens: outcome.generatedTokens,
      seconds: Aggregator.seconds(clock.now - start),
      reasoning: options.reasoning ? outcome.reasoning : nil, scores: options.choose ? outcome.scores ?? [] : nil)
  }

  /// One aggregation over `samples`: skip, choose or generate, then fall back if asked.
  func stage(question: String, samples: [String], vote: MajorityVote) throws -> Outcome {
    if options.skipUnanimous, vote.isUnanimous, let winner = vote.winner {
      return Outcome(answer: winner.text, source: .unanimous)
    }
    let (prompt, promptTokens) = try fittedPrompt(question: question, samples: samples)
    var outcome: Outcome
    if options.choose {
      outcome = try choose(prompt: prompt, candidates: vote.candidates)
      outcome.promptTokens = promptTokens
    } else {
      outcome = try generate(prompt: prompt, promptTokens: promptTokens)
    }
    if outcome.answer == nil, options.fallbackMajority, let winner = vote.winner {
      outcome.answer = winner.text
      outcome.source = .fallback
    }
    return outcome
  }

  /// The prompt for `samples` and its token count, shortened with `--truncate` or refused when too long.
  func fittedPrompt(question: String, samples: [String]) throws -> (Prompt, Int) {
    let context = engine.contextLength
    if options.truncate {
      let reserve = min(options.maxTokens, context / 2)
      let truncator = PromptTruncator(format: options.format, budget: context - reserve,
                                      minimumTail: options.minimumTail, contextLength: context,
                                      count: engine.tokenCount)
      let fitted = try truncator.fit(question: question, samples: samples)
      return (fitted.prompt, fitted.tokens)
    }
    let prompt = options.format.render(question: question, samples: samples)
    let tokens = try engine.tokenCount(prompt)
    guard tokens >= 0 else { throw AggregationError.badTokenCount(tokens) }
    guard tokens <= context else { throw AggregationError.contextTooLong(promptTokens: tokens, contextLength: context) }
    return (prompt, tokens)
  }

  func generate(prompt: Prompt, promptTokens: Int) throws -> Outcome {
    let settings = options.generationSettings(promptTokens: promptTokens, contextLength: engine.contextLength)
    let completion = try engine.complete(prompt, settings: settings)
    let (answer, reasoning) = Aggregator.split(completion, format: options.format)
    return Outcome(answer: answer, source: .model, promptTokens: completion.promptTokens,
                   generatedTokens: completion.generatedTokens, reasoning: reasoning)
  }

  /// `--choose`: the candidate whose `<answer>X</answer>` the model finds most likely (first on a tie).
  func choose(prompt: Prompt, candidates: [Answer]) throws -> Outcome {
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

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
