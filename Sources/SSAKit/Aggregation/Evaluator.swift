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
public final class Evaluator {
  public let methods: [AggregationMethod]
  public let shuffles: Int
  public let seed: UInt64
  /// The values of k swept (the first k samples of each order); nil for all samples.
  public let ks: [Int?]
  public private(set) var summaries: [EvalSummary]
  private let aggregators: [Aggregator]
  private var recordIndex: UInt64 = 0

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

  /// Grades one request and returns its per-record result, or nil when it has no gold answer.
  public func evaluate(_ request: AggregationRequest) throws -> JSON? {
    guard let gold = request.gold else {
      for i in summaries.indices { summaries[i].withoutGold += 1 }
      return nil
    }
    let index = recordIndex
    recordIndex += 1
    var fields: [(String, JSON)] = [("id", request.id), ("gold", .string(gold))]
    var runs: [JSON] = []
    var failure: String?
    for (ki, k) in ks.enumerated() {
      summaries[ki].records += 1
      for order in 0...shuffles {
        let all = Evaluator.ordered(request.samples, order: order, seed: seed, index: index)
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
        for (m, aggregator) in aggregators.enumerated() {
          var result: AggregationResult?
          do {
            result = try aggregator.aggregate(question: request.question, samples: samples)
          } catch let interrupted as GenerationInterrupted {
            throw interrupted
          } catch {
            failure = failure ?? "\(error)"
            summaries[ki].failed += 1
          }
          let correct = Answer.isCorrect(result?.answer, gold: gold)
          summaries[ki].rows[rowIndex].add(result: result, correct: correct, majorityCorrect: majorityCorrect,
                                           order: order, vote: vote)
          rowIndex += 1
          if methods[m] == .generate {
            // the same run, with unanimous sets answered without the model
            var skipped = result
            if vote.isUnanimous, let winner = vote.winner {
              skipped = AggregationResult(answer: winner.text, source: .unanimous, majority: winner.text, agreement: 1)
            }
            summaries[ki].rows[rowIndex].add(result: skipped, correct: Answer.isCorrect(skipped?.answer, gold: gold),
                                             majorityCorrect: majorityCorrect, order: order, vote: vote)
            rowIndex += 1
          }
          if ks.count == 1 && shuffles == 0 && methods.count == 1 {
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
            var run: [(String, JSON)] = [("method", .string(methods[m].rawValue)), ("order", .int(order))]
            if let k { run.append(("k", .int(k))) }
            run += [("answer", result?.answer.map(JSON.string) ?? .null), ("correct", .bool(correct)),
                    ("seconds", .double((((result?.seconds ?? 0) + (result?.reusedSeconds ?? 0)) * 1e6).rounded() / 1e6))]
            runs.append(.object(run))
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
