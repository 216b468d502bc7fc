import Foundation

/// The accuracy table of `ssa eval` for one k: the baselines (pass@1 as the mean over samples,
/// majority vote with ties broken by first appearance and at random, oracle pass@k) and a row per
/// method, each in the given order of the samples and over seeded shuffles, with its paired wins and
/// losses against majority vote on the same orders, its position bias and its cost.
public struct EvalSummary: Equatable, Sendable {
  /// One method's figures.
  public struct MethodRow: Equatable, Sendable {
    public var method: AggregationMethod
    /// The row of `generate` with unanimous sets answered without the model.
    public var skipUnanimous = false
    /// Right answers in the given order, and summed over the shuffled orders.
    public var givenCorrect = 0
    public var shuffledCorrect = 0
    /// Over every order: no answer, right where majority vote is wrong (wins) and the reverse.
    public var noAnswer = 0
    public var wins = 0
    public var losses = 0
    public var runs = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    /// Model time over every order, evidence reused from another method included.
    public var seconds = 0.0
    /// Per position: runs whose answer equals that position's sample's answer, and runs with a
    /// sample there.
    public var positionHits: [Int] = []
    public var positionRuns: [Int] = []

    public init(method: AggregationMethod, skipUnanimous: Bool = false) {
      self.method = method
      self.skipUnanimous = skipUnanimous
    }

    mutating func add(result: AggregationResult?, correct: Bool, majorityCorrect: Bool, order: Int, vote: MajorityVote) {
      if order == 0 { givenCorrect += correct ? 1 : 0 } else { shuffledCorrect += correct ? 1 : 0 }
      runs += 1
      if result?.answer == nil { noAnswer += 1 }
      if correct && !majorityCorrect { wins += 1 }
      if !correct && majorityCorrect { losses += 1 }
      promptTokens += result?.promptTokens ?? 0
      generatedTokens += result?.generatedTokens ?? 0
      seconds += (result?.seconds ?? 0) + (result?.reusedSeconds ?? 0)
      let answer = result?.answer.flatMap { Answer($0) }
      while positionRuns.count < vote.answers.count {
        positionRuns.append(0)
        positionHits.append(0)
      }
      for (i, sampleAnswer) in vote.answers.enumerated() {
        positionRuns[i] += 1
        if let answer, answer == sampleAnswer { positionHits[i] += 1 }
      }
    }

    public var label: String { method.rawValue + (skipUnanimous ? ", --skip-unanimous" : "") }
  }

  /// The k of this table (nil: all samples).
  public var k: Int?
  /// Orders per record: the given one and the shuffles.
  public var orders = 1
  /// Records graded (those with a gold answer).
  public var records = 0
  public var withoutGold = 0
  /// Input lines that produced error records (bad lines, and runs the model failed on).
  public var failed = 0
  public var minK = Int.max
  public var maxK = 0
  public var pass1Sum = 0.0
  /// In the given order: majority vote right (ties: first appearance), with no answer, and with ties
  /// at random (expected); the oracle; unanimous sets.
  public var majorityCorrect = 0
  public var majorityNoAnswer = 0
  public var majorityRandomExpected = 0.0
  public var oracleCorrect = 0
  public var unanimous = 0
  /// Summed over the shuffled orders.
  public var majorityShuffledCorrect = 0
  public var majorityRandomShuffledExpected = 0.0
  public var pass1ShuffledSum = 0.0
  public var oracleShuffledCorrect = 0
  public var rows: [MethodRow] = []
  public var format: PromptFormat?
  public var wallSeconds = 0.0

  public init() {}

  mutating func addBaselines(vote: MajorityVote, gold: String, order: Int) {
    let first = Answer.isCorrect(vote.winner?.text, gold: gold)
    let random = EvalSummary.randomTieBreak(vote, gold: gold)
    if order > 0 {
      majorityShuffledCorrect += first ? 1 : 0
      majorityRandomShuffledExpected += random
      pass1ShuffledSum += vote.share(of: gold)
      oracleShuffledCorrect += vote.contains(gold: gold) ? 1 : 0
      return
    }
    minK = min(minK, vote.answers.count)
    maxK = max(maxK, vote.answers.count)
    pass1Sum += vote.share(of: gold)
    if first { majorityCorrect += 1 }
    majorityRandomExpected += random
    if vote.winner == nil { majorityNoAnswer += 1 }
    if vote.contains(gold: gold) { oracleCorrect += 1 }
    if vote.isUnanimous { unanimous += 1 }
  }

  /// The chance that majority vote with ties broken at random is right.
  static func randomTieBreak(_ vote: MajorityVote, gold: String) -> Double {
    guard let top = vote.counts.max(), let g = Answer(gold) else { return 0 }
    let tied = vote.counts.indices.filter { vote.counts[$0] == top }
    return Double(tied.filter { vote.candidates[$0] == g }.count) / Double(tied.count)
  }

  static func percent(_ n: Double, of d: Int) -> Double { d == 0 ? 0 : 100 * n / Double(d) }
  static func percent(_ n: Int, of d: Int) -> Double { percent(Double(n), of: d) }

  public var pass1: Double { records == 0 ? 0 : 100 * pass1Sum / Double(records) }
  public var majority: Double { EvalSummary.percent(majorityCorrect, of: records) }
  public var oracle: Double { EvalSummary.percent(oracleCorrect, of: records) }
  var shuffledRuns: Int { records * (orders - 1) }

  /// Accuracy of a row over the shuffled orders, or in the given order when there are none.
  public func accuracy(_ row: MethodRow) -> Double {
    orders > 1 ? EvalSummary.percent(row.shuffledCorrect, of: shuffledRuns) : EvalSummary.percent(row.givenCorrect, of: records)
  }

  /// Majority vote's accuracy on the same orders as `accuracy(_:)`.
  public var majorityAccuracy: Double {
    orders > 1 ? EvalSummary.percent(majorityShuffledCorrect, of: shuffledRuns) : majority
  }
  /// pass@1 and the oracle over the shuffled orders (they differ from the given order's when k is
  /// below the samples' count), else in the given order.
  public var pass1Accuracy: Double { orders > 1 ? EvalSummary.percent(pass1ShuffledSum, of: shuffledRuns) : pass1 }
  public var oracleAccuracy: Double { orders > 1 ? EvalSummary.percent(oracleShuffledCorrect, of: shuffledRuns) : oracle }

  /// The first method's rows in the old shape (the `model` and `skip_unanimous` JSON fields).
  public struct Row: Equatable, Sendable {
    public var correct = 0
    public var noAnswer = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    public var seconds = 0.0
  }

  func oldRow(_ r: MethodRow) -> Row {
    Row(correct: r.givenCorrect, noAnswer: r.noAnswer, promptTokens: r.promptTokens, generatedTokens: r.generatedTokens,
        seconds: r.seconds)
  }

  /// The first method in the given order, when a model ran.
  public var model: Row? { rows.first.map(oldRow) }
  /// `generate` with `--skip-unanimous`, when it ran.
  public var skipUnanimous: Row? { rows.first(where: \.skipUnanimous).map(oldRow) }

  var kText: String {
    if records == 0 { return "?" }
    return minK == maxK ? "\(minK)" : "\(minK)-\(maxK)"
  }

  /// The table as text, for the terminal and the README.
  public var table: String {
    var lines: [String] = []
    lines.append("\(records) records with gold (k = \(kText)); \(withoutGold) without gold; \(failed) failed"
                 + (orders > 1 ? "; each in its given order and \(orders - 1) shuffles" : ""))
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
    func pct(_ x: Double) -> String { String(format: "%.1f%%", x) }
    let shuffled = orders > 1
    var header = pad("method", 40) + lpad("given", 8)
    if shuffled { header += lpad("shuffled", 10) }
    header += lpad("no answer", 11) + lpad("+/- vs maj", 12) + lpad("s/record", 10) + lpad("prompt tok", 12) + lpad("gen tok", 9)
    lines.append(header)
    func baseline(_ name: String, _ given: Double, _ shuffledValue: Double?, noAnswer: Double? = nil) {
      var line = pad(name, 40) + lpad(pct(given), 8)
      if shuffled { line += lpad(shuffledValue.map(pct) ?? "", 10) }
      if let noAnswer { line += lpad(pct(noAnswer), 11) }
      lines.append(line)
    }
    baseline("pass@1 (mean over samples)", pass1, EvalSummary.percent(pass1ShuffledSum, of: shuffledRuns))
    baseline("majority vote (ties: first seen)", majority,
             EvalSummary.percent(majorityShuffledCorrect, of: shuffledRuns),
             noAnswer: EvalSummary.percent(majorityNoAnswer, of: records))
    baseline("majority vote (ties: random, expected)", EvalSummary.percent(majorityRandomExpected, of: records),
             EvalSummary.percent(majorityRandomShuffledExpected, of: shuffledRuns))
    baseline("oracle pass@\(kText)", oracle, EvalSummary.percent(oracleShuffledCorrect, of: shuffledRuns))
    let formatText = format.map { " (\($0.rawValue))" } ?? ""
    for row in rows {
      let name = (row.method == .generate ? "model" : row.method.rawValue) + formatText + (row.skipUnanimous ? ", --skip-unanimous" : "")
      var line = pad(name, 40) + lpad(pct(EvalSummary.percent(row.givenCorrect, of: records)), 8)
      if shuffled { line += lpad(pct(EvalSummary.percent(row.shuffledCorrect, of: shuffledRuns)), 10) }
      line += lpad(pct(EvalSummary.percent(row.noAnswer, of: row.runs)), 11)
      line += lpad("+\(row.wins)/-\(row.losses)", 12)
      line += lpad(String(format: "%.2f", row.seconds / Double(max(row.runs, 1))), 10)
      line += lpad("\(row.promptTokens)", 12) + lpad("\(row.generatedTokens)", 9)
      lines.append(line)
    }
    if !rows.isEmpty {
      lines.append("position bias (share of answers equal to the answer of the sample in position 1, 2, ...):")
      for row in rows where !row.skipUnanimous {
        let shares = zip(row.positionHits, row.positionRuns).map { pct(EvalSummary.percent($0, of: $1)) }
        lines.append("  " + pad(row.method.rawValue, 12) + shares.joined(separator: " "))
      }
      lines.append("(+/- vs maj: runs the method gets right and majority vote (ties: first seen) wrong, and the reverse, over every order; s/record: model seconds per record and order, evidence shared between methods counted for each)")
    }
    lines.append(String(format: "wall time %.1f s, %.2f records/s", wallSeconds, Double(records) / max(wallSeconds, 1e-9)))
    return lines.joined(separator: "\n")
  }

  /// The summary as one JSON object (`ssa eval --json`). Accuracies are percentages.
  public var json: JSON {
    func old(_ r: Row) -> JSON {
      .object([
        ("accuracy", .double(EvalSummary.percent(r.correct, of: records))),
        ("no_answer", .double(EvalSummary.percent(r.noAnswer, of: records))),
        ("correct", .int(r.correct)),
        ("prompt_tokens", .int(r.promptTokens)),
        ("generated_tokens", .int(r.generatedTokens)),
        ("seconds", .double(r.seconds)),
      ])
    }
    var fields: [(String, JSON)] = [
      ("records", .int(records)), ("without_gold", .int(withoutGold)), ("failed", .int(failed)),
      ("k", records == 0 ? .null : (minK == maxK ? .int(minK) : .string(kText))), ("orders", .int(orders)),
      ("pass1", .double(pass1)), ("majority", .double(majority)),
      ("majority_correct", .int(majorityCorrect)), ("majority_no_answer", .double(EvalSummary.percent(majorityNoAnswer, of: records))),
      ("majority_random", .double(EvalSummary.percent(majorityRandomExpected, of: records))),
      ("oracle", .double(oracle)), ("oracle_correct", .int(oracleCorrect)), ("unanimous", .int(unanimous)),
    ]
    if orders > 1 {
      fields.append(("majority_shuffled", .double(EvalSummary.percent(majorityShuffledCorrect, of: shuffledRuns))))
      fields.append(("majority_random_shuffled", .double(EvalSummary.percent(majorityRandomShuffledExpected, of: shuffledRuns))))
    }
    if let model {
      fields.append(("format", format.map { .string($0.rawValue) } ?? .null))
      fields.append(("model", old(model)))
    }
    if let skipUnanimous { fields.append(("skip_unanimous", old(skipUnanimous))) }
    if !rows.isEmpty {
      fields.append(("methods", .array(rows.map { r in
        var f: [(String, JSON)] = [("method", .string(r.method.rawValue)), ("skip_unanimous", .bool(r.skipUnanimous)),
                                   ("given", .double(EvalSummary.percent(r.givenCorrect, of: records)))]
        if orders > 1 { f.append(("shuffled", .double(EvalSummary.percent(r.shuffledCorrect, of: shuffledRuns)))) }
        f += [("no_answer", .double(EvalSummary.percent(r.noAnswer, of: r.runs))), ("wins", .int(r.wins)),
              ("losses", .int(r.losses)), ("runs", .int(r.runs)),
              ("seconds_per_run", .double(r.seconds / Double(max(r.runs, 1)))),
              ("prompt_tokens", .int(r.promptTokens)), ("generated_tokens", .int(r.generatedTokens)),
              ("position_bias", .array(zip(r.positionHits, r.positionRuns).map { .double(EvalSummary.percent($0, of: $1)) }))]
        return .object(f)
      })))
    }
    fields.append(("wall_seconds", .double(wallSeconds)))
    fields.append(("records_per_second", .double(Double(records) / max(wallSeconds, 1e-9))))
    return .object(fields)
  }
}
