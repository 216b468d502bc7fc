import XCTest
@testable import SSAKit

/// The order-free methods over the scripted engine, which plays a model that favours the answer of
/// the sample it read last (as the zero-shot default model does: 281 of 300 dev records).
final class AggregationMethodTests: XCTestCase {
  let question = "How many?"

  /// Log-probability -0.5 for the last sample's answer, -3 for the others; an engine whose scores
  /// depend on the order only.
  static func lastSampleEngine() -> ScriptedEngine {
    ScriptedEngine(
      script: { prompt, _ in
        let last = prompt.text.components(separatedBy: "Answer ").last ?? ""
        let answer = last.components(separatedBy: "A: ").last?.components(separatedBy: ".").first ?? ""
        return (answer.trimmingCharacters(in: .whitespaces) + "</answer>", .stopSequence)
      },
      scorer: { continuations, prompt in
        let lastSample = prompt.text.components(separatedBy: "Answer ").last ?? ""
        let lastAnswer = lastSample.components(separatedBy: "A: ").last?.components(separatedBy: ".").first ?? ""
        return continuations.map { $0.text.contains(">\(lastAnswer)<") || $0.text.hasPrefix("\(lastAnswer)<") ? -0.5 : -3 }
      })
  }

  func testRotationsPutEachSampleInEachPositionOnce() {
    XCTAssertEqual(CandidateEvidence.offsets(k: 4, rotations: nil), [0, 1, 2, 3])
    XCTAssertEqual(CandidateEvidence.offsets(k: 4, rotations: 2), [0, 2])
    XCTAssertEqual(CandidateEvidence.offsets(k: 3, rotations: 9), [0, 1, 2])
    XCTAssertEqual(CandidateEvidence.offsets(k: 1, rotations: nil), [0])
    let samples = ["a", "b", "c", "d"]
    let orders = CandidateEvidence.offsets(k: 4, rotations: nil).map { CandidateEvidence.rotated(samples, by: $0) }
    XCTAssertEqual(orders, [["a", "b", "c", "d"], ["b", "c", "d", "a"], ["c", "d", "a", "b"], ["d", "a", "b", "c"]])
    for position in 0..<4 { XCTAssertEqual(Set(orders.map { $0[position] }), Set(samples)) }
  }

  func testChooseCopiesTheLastSampleAndDebiasedDoesNot() throws {
    let samples = ["A: 7.", "A: 5.", "A: 5.", "A: 9."]
    let chosen = try Aggregator(engine: Self.lastSampleEngine(), options: AggregationOptions(format: .answer, method: .choose))
      .aggregate(question: question, samples: samples)
    XCTAssertEqual(chosen.answer, "9")
    let engine = Self.lastSampleEngine()
    let debiased = try Aggregator(engine: engine, options: AggregationOptions(format: .answer, method: .debiased))
      .aggregate(question: question, samples: samples)
    // 5 is last in two of the four rotations: mean -1.75 against -2.375 for 7 and 9
    XCTAssertEqual(debiased.answer, "5")
    XCTAssertEqual(debiased.scores?.map(\.answer), ["7", "5", "9"])
    XCTAssertEqual(debiased.scores?.map(\.logProbability), [-2.375, -1.75, -2.375])
    XCTAssertEqual(engine.scorings.count, 4)
    XCTAssertEqual(engine.scorings.map(\.prompt), CandidateEvidence.offsets(k: 4, rotations: nil).map {
      PromptFormat.answer.render(question: question, samples: CandidateEvidence.rotated(samples, by: $0))
    })
    // the same answer whatever order the samples come in
    for order in 1...5 {
      let shuffled = Evaluator.ordered(samples, order: order, seed: 3, index: 0)
      let again = try Aggregator(engine: Self.lastSampleEngine(), options: AggregationOptions(format: .answer, method: .debiased))
        .aggregate(question: question, samples: shuffled)
      XCTAssertEqual(again.answer, "5", "\(shuffled)")
    }
  }

  func testTiebreakRunsTheModelOnlyOnTiesAndOnlyOnTheTied() throws {
    let engine = Self.lastSampleEngine()
    let aggregator = Aggregator(engine: engine, options: AggregationOptions(format: .answer, method: .tiebreak))
    let clear = try aggregator.aggregate(question: question, samples: ["A: 5.", "A: 7.", "A: 5.", "A: 9."])
    XCTAssertEqual(clear.answer, "5")
    XCTAssertEqual(clear.source, .majority)
    XCTAssertEqual(engine.scorings.count, 0)
    // 7 and 9 tie with two votes each; 3 is not a contender
    let tied = try aggregator.aggregate(question: question, samples: ["A: 7.", "A: 3.", "A: 9.", "A: 9.", "A: 7."])
    XCTAssertEqual(engine.scorings.count, 5)
    XCTAssertEqual(engine.scorings[0].continuations.map(\.text), ["7</answer>", "9</answer>"])
    XCTAssertEqual(tied.scores?.map(\.answer), ["7", "9"])
    // 7 is last in two rotations (offsets 0 and 1), 9 in two (offsets 3 and 4): a tie, the first wins
    XCTAssertEqual(tied.answer, "7")
    XCTAssertEqual(tied.source, .model)
  }

  func testEnsembleVotesOverTheRotationsAnswers() throws {
    let engine = Self.lastSampleEngine()
    let result = try Aggregator(engine: engine, options: AggregationOptions(format: .answer, method: .ensemble))
      .aggregate(question: question, samples: ["A: 7.", "A: 5.", "A: 5.", "A: 9."])
    XCTAssertEqual(engine.completions.count, 4)
    XCTAssertEqual(result.answer, "5")
    XCTAssertNil(result.scores)
    let two = try Aggregator(engine: Self.lastSampleEngine(), options: AggregationOptions(format: .answer, method: .ensemble, rotations: 2))
      .aggregate(question: question, samples: ["A: 7.", "A: 5.", "A: 5.", "A: 9."])
    // offsets 0 and 2 end with 9 and 5: one answer each; 5 has more sample votes
    XCTAssertEqual(two.answer, "5")
  }

  func testMajorityMethodNeedsNoModel() throws {
    let engine = Self.lastSampleEngine()
    let result = try Aggregator(engine: engine, options: AggregationOptions(method: .majority))
      .aggregate(question: question, samples: ["A: 7.", "A: 5.", "A: 9."])
    XCTAssertEqual(result.answer, "7")
    XCTAssertEqual(result.source, .majority)
    XCTAssertEqual(engine.completions.count + engine.scorings.count, 0)
  }

  func testCalibratedWeighsVotesAgainstScores() throws {
    let samples = ["A: 7.", "A: 5.", "A: 5.", "A: 9."]
    // votes only: the majority
    let votes = Calibration(shareWeight: 1, logProbabilityWeight: 0)
    XCTAssertEqual(try Aggregator(engine: Self.lastSampleEngine(), options: AggregationOptions(format: .answer, method: .calibrated),
                                  calibration: votes).aggregate(question: question, samples: samples).answer, "5")
    // a negative weight on the log-probability prefers the answers the model likes least
    let contrary = Calibration(shareWeight: 0, logProbabilityWeight: -1)
    XCTAssertEqual(try Aggregator(engine: Self.lastSampleEngine(), options: AggregationOptions(format: .answer, method: .calibrated),
                                  calibration: contrary).aggregate(question: question, samples: samples).answer, "7")
    XCTAssertThrowsError(try Aggregator(engine: Self.lastSampleEngine(), options: AggregationOptions(method: .calibrated))
      .aggregate(question: question, samples: samples)) {
      XCTAssertEqual($0 as? AggregationError, .notCalibrated)
    }
  }

  func testTheProbeReadsTheHiddenStateOfItsLayer() throws {
    // the scripted engine's hidden state is [log-probability] at every layer
    let probe = Calibration.Probe(layer: 3, mean: [-2], scale: [0.5], weights: [-1], bias: 0)
    let calibration = Calibration(shareWeight: 0, logProbabilityWeight: 0, probeWeight: 1, probe: probe)
    let engine = Self.lastSampleEngine()
    let result = try Aggregator(engine: engine, options: AggregationOptions(format: .answer, method: .calibrated),
                                calibration: calibration).aggregate(question: question, samples: ["A: 7.", "A: 5.", "A: 5.", "A: 9."])
    // probe logit -(h + 2) / 0.5 with h the mean log-probability: highest for the least liked, 7 (first of 7 and 9)
    XCTAssertEqual(result.answer, "7")
    XCTAssertEqual(result.scores?.map(\.logProbability), [0.75, -0.5, 0.75])
  }

  func testMethodsShareEvidenceInEval() throws {
    let engine = Self.lastSampleEngine()
    let evaluator = Evaluator(engine: engine, options: AggregationOptions(format: .answer),
                              methods: [.debiased, .tiebreak, .majority], shuffles: 2, seed: 1)
    let request = AggregationRequest(id: .int(1), question: question, samples: ["A: 7.", "A: 9.", "A: 9.", "A: 7."], gold: "9")
    let record = try XCTUnwrap(evaluator.evaluate(request))
    // three orders; debiased scores each order's four rotations once, tiebreak reuses them
    XCTAssertEqual(engine.scorings.count, 3 * 4)
    guard case .array(let runs)? = record["runs"] else { return XCTFail("no runs") }
    XCTAssertEqual(runs.count, 3 * 3)
    let s = evaluator.summary
    XCTAssertEqual(s.orders, 3)
    XCTAssertEqual(s.rows.map(\.method), [.debiased, .tiebreak, .majority])
    XCTAssertEqual(s.rows.map(\.runs), [3, 3, 3])
    // the tie 7/9 at two votes each: majority takes the first seen, which depends on the order
    XCTAssertEqual(s.majorityRandomExpected, 0.5)
    XCTAssertEqual(s.rows[2].givenCorrect, 0)  // 7 comes first as given
    XCTAssertEqual(s.rows[2].positionRuns, [3, 3, 3, 3])
    XCTAssertTrue(s.table.contains("debiased (answer)"), s.table)
    XCTAssertTrue(s.table.contains("position bias"), s.table)
  }

  func testShufflesDependOnSeedAndRecordOnly() {
    let samples = (0..<8).map { "A: \($0)." }
    let a = Evaluator.ordered(samples, order: 1, seed: 5, index: 7)
    XCTAssertEqual(a, Evaluator.ordered(samples, order: 1, seed: 5, index: 7))
    XCTAssertNotEqual(a, samples)
    XCTAssertEqual(Set(a), Set(samples))
    XCTAssertNotEqual(a, Evaluator.ordered(samples, order: 2, seed: 5, index: 7))
    XCTAssertNotEqual(a, Evaluator.ordered(samples, order: 1, seed: 6, index: 7))
    XCTAssertNotEqual(a, Evaluator.ordered(samples, order: 1, seed: 5, index: 8))
    XCTAssertEqual(Evaluator.ordered(samples, order: 0, seed: 5, index: 7), samples)
  }

  func testKSweepDrawsOneLinePerSeries() throws {
    let evaluator = Evaluator(engine: Self.lastSampleEngine(), options: AggregationOptions(format: .answer),
                              methods: [.debiased], shuffles: 1, seed: 0, ks: [1, 2, 4])
    _ = try evaluator.evaluate(AggregationRequest(question: question, samples: ["A: 7.", "A: 9.", "A: 9.", "A: 7."], gold: "9"))
    let sweep = KSweep(summaries: evaluator.summaries)
    XCTAssertEqual(sweep.ks, [1, 2, 4])
    XCTAssertEqual(sweep.series.map(\.name), ["oracle pass@k", "majority vote (ties: first seen)",
                                              "majority vote (ties: random)", "pass@1", "debiased"])
    XCTAssertEqual(sweep.svg.components(separatedBy: "<polyline").count - 1, 5)
    XCTAssertTrue(sweep.table.contains("k=4"))
    XCTAssertEqual(sweep.json["k"], .array([.int(1), .int(2), .int(4)]))
  }
}
