/// `ssa eval`: grades each request that has a gold answer and accumulates an `EvalSummary`.
///
/// The model runs once per record, without skipping; the `--skip-unanimous` row is derived from that
/// run (unanimous sets take the unanimous answer at no cost, the rest keep the model's result), which
/// gives both rows from one pass and the exact time the skip saves.
public final class Evaluator {
  public let aggregator: Aggregator?
  public let k: Int?
  public private(set) var summary = EvalSummary()

  /// `aggregator` nil evaluates the baselines only. Its `skipUnanimous` option is ignored (see above).
  public init(engine: AggregationEngine?, options: AggregationOptions) {
    var options = options
    options.skipUnanimous = false
    self.aggregator = engine.map { Aggregator(engine: $0, options: options) }
    self.k = options.k
    if engine != nil {
      summary.model = EvalSummary.Row()
      summary.skipUnanimous = EvalSummary.Row()
      summary.format = options.format
    }
  }

  /// Grades one request and returns its per-record result, or nil when it has no gold answer.
  public func evaluate(_ request: AggregationRequest) throws -> JSON? {
    guard let gold = request.gold else {
      summary.withoutGold += 1
      return nil
    }
    let samples = k.map { Array(request.samples.prefix($0)) } ?? request.samples
    let vote = MajorityVote(samples: samples)
    summary.records += 1
    summary.minK = min(summary.minK, samples.count)
    summary.maxK = max(summary.maxK, samples.count)
    let share = vote.share(of: gold)
    let majorityCorrect = Answer.isCorrect(vote.winner?.text, gold: gold)
    let oracle = vote.contains(gold: gold)
    summary.pass1Sum += share
    if majorityCorrect { summary.majorityCorrect += 1 }
    if vote.winner == nil { summary.majorityNoAnswer += 1 }
    if oracle { summary.oracleCorrect += 1 }
    if vote.isUnanimous { summary.unanimous += 1 }

    var fields: [(String, JSON)] = [
      ("id", request.id), ("gold", .string(gold)), ("k", .int(samples.count)),
      ("answers", .array(vote.answers.map { $0.map { .string($0.text) } ?? .null })),
      ("pass1", .double(share)), ("majority", vote.winner.map { .string($0.text) } ?? .null),
      ("majority_correct", .bool(majorityCorrect)), ("oracle", .bool(oracle)), ("unanimous", .bool(vote.isUnanimous)),
    ]
    guard let aggregator else { return .object(fields) }

    var result: AggregationResult?
    var failure: String?
    do {
      result = try aggregator.aggregate(question: request.question, samples: request.samples)
    } catch {
      failure = "\(error)"
      summary.failed += 1
    }
    let correct = Answer.isCorrect(result?.answer, gold: gold)
    add(to: &summary.model, result: result, correct: correct)
    if vote.isUnanimous, let winner = vote.winner {
      summary.skipUnanimous!.correct += Answer.isCorrect(winner.text, gold: gold) ? 1 : 0
    } else {
      add(to: &summary.skipUnanimous, result: result, correct: correct)
    }
    fields += [
      ("answer", result?.answer.map(JSON.string) ?? .null),
      ("source", result.map { .string($0.source.rawValue) } ?? .null),
      ("correct", .bool(correct)),
      ("prompt_tokens", .int(result?.promptTokens ?? 0)),
      ("generated_tokens", .int(result?.generatedTokens ?? 0)),
      ("seconds", .double(((result?.seconds ?? 0) * 1e6).rounded() / 1e6)),
    ]
    if let scores = result?.scores {
      fields.append(("scores", .object(scores.map { ($0.answer, .double($0.logProbability)) })))
    }
    if let failure { fields.append(("error", .string(failure))) }
    return .object(fields)
  }

  /// Counts lines that were not requests at all (the stream's error records).
  public func addFailedLines(_ n: Int) { summary.failed += n }

  public func finish(wallSeconds: Double) { summary.wallSeconds = wallSeconds }

  private func add(to row: inout EvalSummary.Row?, result: AggregationResult?, correct: Bool) {
    guard row != nil else { return }
    if correct { row!.correct += 1 }
    if result?.answer == nil { row!.noAnswer += 1 }
    row!.promptTokens += result?.promptTokens ?? 0
    row!.generatedTokens += result?.generatedTokens ?? 0
    row!.seconds += result?.seconds ?? 0
  }
}
