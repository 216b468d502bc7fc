import XCTest
@testable import SSAKit

/// `ssa calibrate`: the fits against known answers, the cross-validation, and the weights in a model file.
final class CalibrationTests: XCTestCase {
  /// The fitted binary regression sets the penalized gradient to zero.
  func testBinaryFitIsAStationaryPoint() {
    var rng = RandomGenerator(seed: 11)
    let n = 200, d = 5
    var x: [Double] = []
    var labels: [Bool] = []
    let truth = [1.5, -2.0, 0.0, 0.5, 0.0]
    for _ in 0..<n {
      let row = (0..<d).map { _ in Double(rng.nextUnit()) * 2 - 1 }
      x += row
      let z = LogisticRegression.dot(truth, row) + 0.3
      labels.append(Double(rng.nextUnit()) < 1 / (1 + exp(-z)))
    }
    let penalty = 2.0
    let (w, b) = LogisticRegression.fitBinary(x: x, labels: labels, dimension: d, penalty: penalty)
    var gradient = w.map { penalty * $0 }
    var gradientBias = 0.0
    for r in 0..<n {
      let row = Array(x[(r * d)..<((r + 1) * d)])
      let p = 1 / (1 + exp(-(LogisticRegression.dot(w, row) + b)))
      let g = p - (labels[r] ? 1 : 0)
      for j in 0..<d { gradient[j] += g * row[j] }
      gradientBias += g
    }
    for g in gradient + [gradientBias] { XCTAssertEqual(g, 0, accuracy: 1e-5) }
    XCTAssertGreaterThan(w[0], 0.5)
    XCTAssertLessThan(w[1], -0.5)
  }

  /// The conditional logit recovers which feature picks the right candidate.
  func testConditionalFitFindsTheInformativeFeature() {
    var rng = RandomGenerator(seed: 3)
    var groups: [[[Double]]] = []
    var chosen: [Int] = []
    for _ in 0..<300 {
      let m = 2 + Int(rng.next() % 3)
      let right = Int(rng.next() % UInt64(m))
      // feature 0 is higher for the right candidate (noisily); feature 1 is noise
      groups.append((0..<m).map { c in [Double(rng.nextUnit()) + (c == right ? 0.6 : 0), Double(rng.nextUnit())] })
      chosen.append(right)
    }
    let w = LogisticRegression.fitConditional(groups: groups, chosen: chosen, dimension: 2, penalty: 1e-2)
    XCTAssertGreaterThan(w[0], 2)
    XCTAssertLessThan(abs(w[1]), abs(w[0]) / 3)
  }

  /// Records whose right candidate shows in dimension 0 of its hidden state: the probe must find it,
  /// held out, and beat the votes, which carry nothing here.
  func testFitterFindsAProbeThatGeneralizes() throws {
    var rng = RandomGenerator(seed: 5)
    var records: [LabeledEvidence] = []
    for r in 0..<120 {
      let m = 3
      let right = Int(rng.next() % 3)
      let candidates = (0..<m).map { Answer("\(r * 10 + $0)")! }
      let hidden = (0..<m).map { c -> [[Float]] in
        [(0..<8).map { j in rng.nextUnit() + (j == 0 && c == right ? 1.5 : 0) }]
      }
      let evidence = CandidateEvidence(candidates: candidates, counts: [2, 1, 1], sampleCount: 4, offsets: [0, 1, 2, 3],
                                       orderLogProbabilities: Array(repeating: [-1, -1, -1], count: 4),
                                       tokenCounts: [3, 3, 3], hidden: hidden, promptTokens: 100)
      records.append(LabeledEvidence(id: .int(r), gold: candidates[right].text, evidence: evidence, layers: [7], seconds: 0))
    }
    let report = try CalibrationFitter(records: records, folds: 4, seed: 1).fit()
    let heldOut = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.method, $0.correct) })
    XCTAssertEqual(heldOut["majority vote (ties: first appearance)"], Double(records.filter { $0.correct[0] }.count))
    XCTAssertGreaterThan(heldOut["probe alone (layer 7)"]!, 100)
    XCTAssertTrue(report.chosen.contains("probe"), report.chosen)
    XCTAssertEqual(report.calibration.probe?.layer, 7)
    XCTAssertGreaterThan(report.calibration.probeWeight, 0)
    XCTAssertTrue(report.table.contains("4-fold cross-validation"))
    // the refit calibration scores a new record the way the probe says
    let e = records[0].evidence
    let scores = report.calibration.scores(e)
    XCTAssertEqual(scores.firstIndex(of: scores.max()!), records[0].correct.firstIndex(of: true))
    // the saved evidence reads back the same
    let again = try XCTUnwrap(LabeledEvidence(json: try JSON.parse(Array(records[3].json.serialized.utf8))))
    XCTAssertEqual(again.evidence.hidden, records[3].evidence.hidden)
    XCTAssertEqual(again.correct, records[3].correct)
    XCTAssertEqual(again.evidence.orderLogProbabilities, records[3].evidence.orderLogProbabilities)
  }

  func testTooFewRecordsIsAnError() {
    XCTAssertThrowsError(try CalibrationFitter(records: [], folds: 5).fit())
  }

  /// The calibration goes into a copy of a model file and comes back out; the tensors are unchanged.
  func testCalibrationRoundTripsThroughTheModelFile() throws {
    let source = TestSupport.fixture("tiny-qwen2/tied/tiny-qwen2-tied-f32.gguf")
    let original = try GGUFFile(path: source)
    let hidden = try ModelConfig(gguf: original).hiddenSize
    let probe = Calibration.Probe(layer: 1, mean: (0..<hidden).map { Float($0) }, scale: Array(repeating: 2, count: hidden),
                                  weights: (0..<hidden).map { Float($0) / 100 }, bias: -0.25)
    let calibration = Calibration(shareWeight: 3.5, logProbabilityWeight: 0.25, probeWeight: 0.75, probe: probe)
    let out = TestSupport.temporaryDirectory() + "/calibrated.gguf"
    try CalibratedModelWriter.write(source: source, output: out, calibration: calibration)
    let copy = try GGUFFile(path: out)
    let config = try ModelConfig(gguf: copy)
    XCTAssertEqual(try Calibration(gguf: copy, hiddenSize: config.hiddenSize, layerCount: config.layerCount), calibration)
    XCTAssertNil(try Calibration(gguf: original, hiddenSize: hidden, layerCount: config.layerCount))
    XCTAssertEqual(copy.tensors.map(\.name), original.tensors.map(\.name))
    for (a, b) in zip(copy.tensors, original.tensors) {
      XCTAssertEqual(Array(copy.data(of: a)), Array(original.data(of: b)), a.name)
    }
    // a second calibration replaces the first
    let out2 = TestSupport.temporaryDirectory() + "/calibrated2.gguf"
    try CalibratedModelWriter.write(source: out, output: out2, calibration: Calibration(shareWeight: 1, logProbabilityWeight: 0))
    XCTAssertEqual(try Calibration(gguf: GGUFFile(path: out2), hiddenSize: hidden, layerCount: config.layerCount),
                   Calibration(shareWeight: 1, logProbabilityWeight: 0))
  }

  /// A probe layer outside the model is refused with the key named.
  func testMalformedCalibrationIsRefused() throws {
    let source = TestSupport.fixture("tiny-qwen2/tied/tiny-qwen2-tied-f32.gguf")
    let config = try ModelConfig(gguf: GGUFFile(path: source))
    let probe = Calibration.Probe(layer: config.layerCount + 3, mean: Array(repeating: 0, count: config.hiddenSize),
                                  scale: Array(repeating: 1, count: config.hiddenSize),
                                  weights: Array(repeating: 0, count: config.hiddenSize), bias: 0)
    let out = TestSupport.temporaryDirectory() + "/bad.gguf"
    try CalibratedModelWriter.write(source: source, output: out,
                                    calibration: Calibration(shareWeight: 1, logProbabilityWeight: 0, probeWeight: 1, probe: probe))
    XCTAssertThrowsError(try Calibration(gguf: GGUFFile(path: out), hiddenSize: config.hiddenSize, layerCount: config.layerCount)) {
      XCTAssertTrue("\($0)".contains("layer \(config.layerCount + 3)"), "\($0)")
    }
  }
}
