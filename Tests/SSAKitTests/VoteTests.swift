import XCTest
@testable import SSAKit

/// Majority vote, and the dev data's published baselines.
final class VoteTests: XCTestCase {
  func testTiesGoToTheFirstAppearance() {
    let vote = MajorityVote(samples: ["A: 3", "A: 5", "A: 5", "A: 3"])
    XCTAssertEqual(vote.winner?.text, "3")
    XCTAssertEqual(vote.agreement, 0.5)
    XCTAssertEqual(vote.candidates.map(\.text), ["3", "5"])
    XCTAssertEqual(vote.counts, [2, 2])
    XCTAssertEqual(MajorityVote(samples: ["A: 5", "A: 3", "A: 3", "A: 5"]).winner?.text, "5")
    XCTAssertEqual(MajorityVote(samples: ["A: 1", "A: 2", "A: 3", "A: 4"]).winner?.text, "1")
  }

  func testMostVotesWinsWhateverTheOrder() {
    let vote = MajorityVote(samples: ["A: 3", "A: 5", "A: 5"])
    XCTAssertEqual(vote.winner?.text, "5")
    XCTAssertEqual(vote.agreement, 2.0 / 3.0, accuracy: 1e-12)
    XCTAssertFalse(vote.isUnanimous)
  }

  func testEquivalentFormsVoteTogether() {
    let vote = MajorityVote(samples: ["A: 26", "so $18.00", "\\boxed{18}", "A: 18 dollars"])
    XCTAssertEqual(vote.winner?.text, "18")
    XCTAssertEqual(vote.agreement, 0.75)
    XCTAssertEqual(vote.candidates.count, 2)
  }

  func testSamplesWithoutAnAnswerDoNotVoteButCountInAgreement() {
    let vote = MajorityVote(samples: ["no idea", "A: 7", ""])
    XCTAssertEqual(vote.winner?.text, "7")
    XCTAssertEqual(vote.agreement, 1.0 / 3.0, accuracy: 1e-12)
    XCTAssertFalse(vote.isUnanimous)
    let none = MajorityVote(samples: ["no idea", "nothing"])
    XCTAssertNil(none.winner)
    XCTAssertEqual(none.agreement, 0)
    XCTAssertFalse(none.isUnanimous)
    XCTAssertFalse(MajorityVote(samples: []).isUnanimous)
  }

  func testUnanimity() {
    XCTAssertTrue(MajorityVote(samples: ["A: 4", "four is \\boxed{4.0}", "#### 4"]).isUnanimous)
    XCTAssertTrue(MajorityVote(samples: ["A: 4"]).isUnanimous)
    XCTAssertFalse(MajorityVote(samples: ["A: 4", "A: 4", "A: 5"]).isUnanimous)
  }

  func testOracleAndPassAtOne() {
    let vote = MajorityVote(samples: ["A: 1", "A: 2", "A: 2", "A: 3"])
    XCTAssertTrue(vote.contains(gold: "3"))
    XCTAssertTrue(vote.contains(gold: "3.0"))
    XCTAssertFalse(vote.contains(gold: "4"))
    XCTAssertEqual(vote.share(of: "2"), 0.5)
    XCTAssertEqual(vote.share(of: "4"), 0)
  }

  func testVoteRecordHasTheAggregateFields() {
    let result = AggregationResult.majorityVote(samples: ["A: 1", "A: 2", "A: 2"], k: 2)
    XCTAssertEqual(result.answer, "1")  // k = 2: a tie between 1 and 2, 1 first
    XCTAssertEqual(result.source, .majority)
    let record = result.record(id: .int(7))
    guard case .object(let fields) = record else { return XCTFail("not an object") }
    XCTAssertEqual(fields.map(\.0), ["id", "answer", "source", "majority", "agreement", "prompt_tokens",
                                     "generated_tokens", "seconds"])
    XCTAssertEqual(record["id"], .int(7))
    XCTAssertEqual(record["source"], .string("majority"))
    XCTAssertEqual(record["agreement"], .double(0.5))
    XCTAssertEqual(record["prompt_tokens"], .int(0))
  }

  /// The dev data's README: majority vote 46.3% (ties to the first appearance), oracle pass@4 66.3%.
  func testDevDataMajorityAndOracle() throws {
    let requests = try AggregationFixtures.devRequests()
    XCTAssertEqual(requests.count, 300)
    var majority = 0
    var oracle = 0
    var pass1 = 0.0
    for request in requests {
      let gold = try XCTUnwrap(request.gold)
      let vote = MajorityVote(samples: request.samples)
      XCTAssertEqual(vote.answers.count, 4)
      if Answer.isCorrect(vote.winner?.text, gold: gold) { majority += 1 }
      if vote.contains(gold: gold) { oracle += 1 }
      pass1 += vote.share(of: gold)
    }
    XCTAssertEqual(majority, 139)
    XCTAssertEqual(oracle, 199)
    XCTAssertEqual(String(format: "%.1f", 100 * Double(majority) / 300), "46.3")
    XCTAssertEqual(String(format: "%.1f", 100 * Double(oracle) / 300), "66.3")
    XCTAssertEqual(String(format: "%.1f", 100 * pass1 / 300), "39.3")

    // The same figures through `ssa eval --no-model`'s code path.
    let evaluator = Evaluator(engine: nil, options: AggregationOptions())
    for request in requests { _ = try evaluator.evaluate(request) }
    XCTAssertEqual(evaluator.summary.records, 300)
    XCTAssertEqual(evaluator.summary.majorityCorrect, 139)
    XCTAssertEqual(evaluator.summary.oracleCorrect, 199)
    XCTAssertNil(evaluator.summary.model)
    XCTAssertTrue(evaluator.summary.table.contains("46.3%"))
    XCTAssertTrue(evaluator.summary.table.contains("66.3%"))
  }

  /// Ties broken any other way would not give the published figure: the rule matters.
  func testDevDataTieRuleMatters() throws {
    var lastAppearance = 0
    for request in try AggregationFixtures.devRequests() {
      let vote = MajorityVote(samples: request.samples)
      guard let best = vote.counts.max() else { continue }
      let winner = vote.candidates[vote.counts.lastIndex(of: best)!]
      if Answer.isCorrect(winner.text, gold: request.gold!) { lastAppearance += 1 }
    }
    XCTAssertNotEqual(lastAppearance, 139)
  }
}
