/// `ssa eval`: grades each request that has a gold answer, under each method, in the given order of
/// its samples and in seeded shuffles of it, for each k of a sweep, and accumulates an `EvalSummary`
/// per k.
///
/// Sample order matters to a zero-shot model (it copies the sample it read last), and real sample
/// sets have no meaningful order; `shuffles` measures accuracy over orders no one chose. Each
/// record's shuffles come from the seed and the record's position in the input, so the answers do
/// not depend on anything else that ran.
///
/// `generate` runs once per set without skipping unanimous sets; its `--skip-unanimous` row is derived
/// from that run (unanimous sets take the unanimous answer at no cost). The other methods answer a
/// unanimous set with its answer without the model (a choice among one candidate).
public final class Evaluator: @unchecked Sendable {
  public let methods: [AggregationMethod]
  public let shuffles: Int
  public let seed: UInt64
  /// The values of k swept (the first k samples of each order); nil for all samples.
  public let ks: [Int?]
  public private(set) var summaries: [EvalSummary]
  private let aggregators: [Aggregator]

  /// The summary of the last (or only) k.
  public var summary: EvalSummary { summaries[summaries.count - 1] }

  /// `engine` nil evaluates the baselines only. `methods` defaults to `options.method`.
  public init(engine: AggregationEngine?, options: AggregationOptions, calibration: Calibration? = nil,
              methods: [AggregationMethod]? = nil, shuffles: Int = 0, seed: UInt64 = 0, ks: [Int]? = nil) {
    let methods = engine == nil ? [] : (methods ?? [options.method])
    self.methods = methods
    self.shuffles = max(0, shuffles)
    self.seed = seed
    self.ks = ks.map { $0.map { Optional($0) } } ?? [options.k]
    let cache = methods.filter(\.scoresCandidates).count > 1 ? EvidenceCache() : nil
    aggregators = methods.map { method in
      var o = options
      o.method = method
      o.k = nil
      o.skipUnanimous = method != .generate
      return Aggregator(engine: engine!, options: o, calibration: calibration, cache: cache)
    }
    summaries = self.ks.map { k in
      var s = EvalSummary()
      s.k = k
      s.orders = 1 + max(0, shuffles)
      s.format = engine == nil ? nil : options.format
      for method in methods {
        s.rows.append(EvalSummary.MethodRow(method: method))
        if method == .generate { s.rows.append(EvalSummary.MethodRow(method: method, skipUnanimous: true)) }
      }
      return s
    }
  }

  /// The samples in order `order` of the record at `index` (0: as given).
  public static func ordered(_ samples: [String], order: Int, seed: UInt64, index: UInt64) -> [String] {
    guard order > 0 else { return samples }
    var rng = RandomGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* (index &+ 1) &+ UInt64(order) &* 0xD1B5_4A32_D192_ED03)
    var out = samples
    for i in stride(from: out.count - 1, to: 0, by: -1) {
      out.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    return out
  }

  /// One request's runs (every k, order and method), before they are counted.
  public struct Graded: Sendable {
    public struct Run: Sendable {
      var k: Int
      var order: Int
      var method: Int
      var result: AggregationResult?
      var failure: String?
    }
    let request: AggregationRequest
    let index: Int
    var runs: [Run] = []
  }

  /// Grades one request (the sequential form of `grade` then `add`); its per-record result, or nil
  /// when it has no gold answer.
  public func evaluate(_ request: AggregationRequest) throws -> JSON? {
    defer { sequentialIndex += 1 }
    return add(try grade(request, index: sequentialIndex))
  }
  private var sequentialIndex = 0

  /// Runs every method on every order and k of `request`, the `index`-th line of the input (it seeds
  /// the shuffles). Thread-safe: requests may be graded in parallel and added in input order.
  public func grade(_ request: AggregationRequest, index: Int) throws -> Graded {
    var graded = Graded(request: request, index: index)
    guard request.gold != nil else { return graded }
    for (ki, k) in ks.enumerated() {
      for order in 0...shuffles {
        let all = Evaluator.ordered(request.samples, order: order, seed: seed, index: UInt64(index))
        let samples = k.map { Array(all.prefix($0)) } ?? all
        for (m, aggregator) in aggregators.enumerated() {
          var run = Graded.Run(k: ki, order: order, method: m)
          do {
            run.result = try aggregator.aggregate(question: request.question, samples: samples)
          } catch let interrupted as GenerationInterrupted {
            throw interrupted
          } catch {
            run.failure = "\(error)"
          }
          graded.runs.append(run)
        }
      }
    }
    return graded
  }

  /// Counts a graded request into the summaries; its per-record result, or nil when it has no gold.
  public func add(_ graded: Graded) -> JSON? {
    let request = graded.request
    guard let gold = request.gold else {
      for i in summaries.indices { summaries[i].withoutGold += 1 }
      return nil
    }
    var fields: [(String, JSON)] = [("id", request.id), ("gold", .string(gold))]
    var runs: [JSON] = []
    var failure: String?
    let single = ks.count == 1 && shuffles == 0 && methods.count == 1
    for (ki, k) in ks.enumerated() {
      summaries[ki].records += 1
      for order in 0...shuffles {
        let all = Evaluator.ordered(request.samples, order: order, seed: seed, index: UInt64(graded.index))
        let samples = k.map { Array(all.prefix($0)) } ?? all
        let vote = MajorityVote(samples: samples)
        let majorityCorrect = Answer.isCorrect(vote.winner?.text, gold: gold)
        summaries[ki].addBaselines(vote: vote, gold: gold, order: order)
        if order == 0 && ki == ks.count - 1 {
          fields += [
            ("k", .int(samples.count)),
            ("answers", .array(vote.answers.map { $0.map { .string($0.text) } ?? .null })),
            ("pass1", .double(vote.share(of: gold))), ("majority", vote.winner.map { .string($0.text) } ?? .null),
            ("majority_correct", .bool(majorityCorrect)), ("oracle", .bool(vote.contains(gold: gold))),
            ("unanimous", .bool(vote.isUnanimous)),
          ]
        }
        var rowIndex = 0
        for run in graded.runs where run.k == ki && run.order == order {
          let result = run.result
          if let f = run.failure {
            failure = failure ?? f
            summaries[ki].failed += 1
          }
          let correct = Answer.isCorrect(result?.answer, gold: gold)
          summaries[ki].rows[rowIndex].add(result: result, correct: correct, majorityCorrect: majorityCorrect,
                                           order: order, vote: vote)
          rowIndex += 1
          if methods[run.method] == .generate {
            // the same run, with unanimous sets answered without the model
            var skipped = result
            if vote.isUnanimous, let winner = vote.winner {
              skipped = AggregationResult(answer: winner.text, source: .unanimous, majority: winner.text, agreement: 1)
            }
            summaries[ki].rows[rowIndex].add(result: skipped, correct: Answer.isCorrect(skipped?.answer, gold: gold),
                                             majorityCorrect: majorityCorrect, order: order, vote: vote)
            rowIndex += 1
          }
          if single {
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
          } else {
            var entry: [(String, JSON)] = [("method", .string(methods[run.method].rawValue)), ("order", .int(order))]
            if let k { entry.append(("k", .int(k))) }
            entry += [("answer", result?.answer.map(JSON.string) ?? .null), ("correct", .bool(correct)),
                      ("seconds", .double((((result?.seconds ?? 0) + (result?.reusedSeconds ?? 0)) * 1e6).rounded() / 1e6))]
            runs.append(.object(entry))
          }
        }
      }
    }
    if !runs.isEmpty { fields.append(("runs", .array(runs))) }
    if let failure { fields.append(("error", .string(failure))) }
    return .object(fields)
  }

  /// Counts lines that were not requests at all (the stream's error records).
  public func addFailedLines(_ n: Int) {
    for i in summaries.indices { summaries[i].failed += n }
  }

  public func finish(wallSeconds: Double) {
    for i in summaries.indices { summaries[i].wallSeconds = wallSeconds }
  }
}
