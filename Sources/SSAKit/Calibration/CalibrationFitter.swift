import Foundation

/// Fits the `calibrated` method on labeled evidence and reports every figure by cross-validation over
/// records (a record's candidates are never split between a fit and its test).
///
/// 1. The probe: for each kept layer and penalty, a logistic regression from a candidate's hidden
///    state (standardized on the training folds) to "this candidate is right"; the layer and penalty
///    with the lowest held-out log-loss win, and their out-of-fold logits become a feature.
/// 2. The combination: a conditional logit over each record's candidates on the votes' share, the
///    debiased log-probability and (optionally) the probe's out-of-fold logit, fitted on the records
///    whose gold answer is among the candidates. The feature set with the best held-out accuracy wins.
/// 3. The calibration written to the model file: the winner refitted on every record (the probe on
///    all candidates; the weights on the out-of-fold probe logits, as at test time the probe has not
///    seen the record either).
public struct CalibrationFitter {
  public let records: [LabeledEvidence]
  public let folds: Int
  public let seed: UInt64
  /// Probe penalties tried (on standardized hidden states; the sum of squared weights is scaled by it).
  public static let probePenalties: [Double] = [30, 100, 300, 1000, 3000]
  /// A small penalty on the conditional logit's few weights, so a separable set stays finite.
  public static let combinationPenalty = 1e-2

  public init(records: [LabeledEvidence], folds: Int = 5, seed: UInt64 = 0) {
    self.records = records
    self.folds = folds
    self.seed = seed
  }

  /// One row of the report: a method and how many contested records it got right, held out.
  public struct Row: Equatable, Sendable {
    public var method: String
    public var correct: Double
  }

  public struct Report: Sendable {
    public var calibration: Calibration
    /// Records with evidence (sample sets that are not unanimous), and those whose gold is a candidate.
    public var records: Int
    public var withGold: Int
    public var folds: Int
    public var rows: [Row]
    public var chosen: String
    public var probeLayer: Int?
    public var probePenalty: Double?
    public var probeLogLoss: Double?
    /// Held-out log-loss of the probe for each (layer, penalty) tried.
    public var probeTrials: [(layer: Int, penalty: Double, logLoss: Double)]
    /// The best probe refitted on every record (stored only when the calibration uses it).
    public var probe: Calibration.Probe?
    public var layers: [Int]

    public var table: String {
      var lines: [String] = []
      lines.append("\(records) contested records (samples not unanimous), \(withGold) with the gold answer among them; \(folds)-fold cross-validation over records")
      lines.append("method".padding(toLength: 52, withPad: " ", startingAt: 0) + "held-out accuracy")
      for row in rows {
        let pct = String(format: "%.1f%% (%.1f)", 100 * row.correct / Double(max(records, 1)), row.correct)
        lines.append(row.method.padding(toLength: 52, withPad: " ", startingAt: 0) + pct)
      }
      if let probeLayer, let probePenalty, let probeLogLoss {
        lines.append(String(format: "probe: layer %d, penalty %g, held-out log-loss %.4f per candidate", probeLayer, probePenalty, probeLogLoss))
      }
      let c = calibration
      lines.append("chosen: \(chosen); weights: share \(String(format: "%.4g", c.shareWeight)), log-probability \(String(format: "%.4g", c.logProbabilityWeight)), probe \(String(format: "%.4g", c.probeWeight))")
      return lines.joined(separator: "\n")
    }

    public var json: JSON {
      var fields: [(String, JSON)] = [
        ("records", .int(records)), ("with_gold", .int(withGold)), ("folds", .int(folds)),
        ("held_out", .object(rows.map { ($0.method, .double(100 * $0.correct / Double(max(records, 1)))) })),
        ("chosen", .string(chosen)),
        ("weights", .object([("share", .double(calibration.shareWeight)),
                             ("log_probability", .double(calibration.logProbabilityWeight)),
                             ("probe", .double(calibration.probeWeight))])),
      ]
      if let probeLayer, let probePenalty, let probeLogLoss {
        fields.append(("probe", .object([("layer", .int(probeLayer)), ("penalty", .double(probePenalty)),
                                         ("log_loss", .double(probeLogLoss))])))
      }
      fields.append(("probe_trials", .array(probeTrials.map {
        .object([("layer", .int($0.layer)), ("penalty", .double($0.penalty)), ("log_loss", .double($0.logLoss))])
      })))
      return .object(fields)
    }
  }

  public enum Failure: Error, CustomStringConvertible {
    case tooFewRecords(Int, folds: Int)
    case mixedLayers
    case mixedEvidence

    public var description: String {
      switch self {
      case .tooFewRecords(let n, let folds):
        return "\(n) contested records with the gold answer among their candidates: too few for \(folds)-fold cross-validation"
      case .mixedLayers: return "the evidence records keep different layers; fit on records made with the same --layers"
      case .mixedEvidence: return "the evidence records mix rotations and pointwise evidence; fit on records made with the same --evidence"
      }
    }
  }

  public func fit() throws -> Report {
    let layers = records.first?.layers ?? []
    guard records.allSatisfy({ $0.layers == layers }) else { throw Failure.mixedLayers }
    let pointwise = records.first?.evidence.offsets.isEmpty == true
    guard records.allSatisfy({ $0.evidence.offsets.isEmpty == pointwise }) else { throw Failure.mixedEvidence }
    let withGold = records.filter(\.hasGold).count
    guard withGold >= folds else { throw Failure.tooFewRecords(withGold, folds: folds) }
    let fold = foldAssignment()

    // 1. the probe
    var trials: [(layer: Int, penalty: Double, logLoss: Double)] = []
    var best: (layer: Int, index: Int, penalty: Double, logLoss: Double, logits: [[Double]])?
    let hiddenSize = records.first?.evidence.hidden.first?.first?.count ?? 0
    if hiddenSize > 0 {
      for (index, layer) in layers.enumerated() {
        for penalty in CalibrationFitter.probePenalties {
          let (logits, loss) = outOfFoldProbe(layerIndex: index, penalty: penalty, fold: fold)
          trials.append((layer, penalty, loss))
          if best == nil || loss < best!.logLoss { best = (layer, index, penalty, loss, logits) }
        }
      }
    }

    // 2. the combinations, each held out
    func features(_ names: [Feature], probe: [[Double]]?) -> [[[Double]]] {
      records.indices.map { r in
        let e = records[r].evidence
        let shares = e.shares, lp = e.meanLogProbability
        return e.candidates.indices.map { c in
          names.map { name in
            switch name {
            case .share: return shares[c]
            case .logProbability: return lp[c]
            case .probe: return probe?[r][c] ?? 0
            }
          }
        }
      }
    }
    var rows: [Row] = [
      Row(method: "majority vote (ties: first appearance)", correct: count { r in pickFirstMax(records[r].evidence.counts.map(Double.init)) }),
      Row(method: "majority vote (ties at random, expected)", correct: expectedRandomTieBreak()),
      Row(method: "debiased choose (mean log-probability)", correct: count { r in pickFirstMax(records[r].evidence.meanLogProbability) }),
      Row(method: "tiebreak (majority, debiased among the tied)", correct: count { r in tiebreakPick(records[r].evidence) }),
    ]
    if let best {
      rows.append(Row(method: "probe alone (layer \(best.layer))", correct: count { r in pickFirstMax(best.logits[r]) }))
    }
    var candidatesSets: [[Feature]] = [[.share, .logProbability]]
    if best != nil { candidatesSets += [[.share, .probe], [.share, .logProbability, .probe]] }
    var winner: (names: [Feature], correct: Double)?
    for names in candidatesSets {
      let f = features(names, probe: best?.logits)
      var correct = 0.0
      for k in 0..<folds {
        let w = fitCombination(f, names.count, where: { fold[$0] != k })
        correct += count(where: { fold[$0] == k }) { r in pickFirstMax(f[r].map { LogisticRegression.dot(w, $0) }) }
      }
      rows.append(Row(method: "calibrated: " + names.map(\.rawValue).joined(separator: " + "), correct: correct))
      if winner == nil || correct > winner!.correct + 1e-9 { winner = (names, correct) }
    }

    // 3. the calibration: the winner on every record
    let names = winner!.names
    let w = fitCombination(features(names, probe: best?.logits), names.count, where: { _ in true })
    func weight(_ name: Feature) -> Double { names.firstIndex(of: name).map { w[$0] } ?? 0 }
    let evidence: EvidenceKind = records.first?.evidence.offsets.isEmpty == true ? .pointwise : .rotations
    var calibration = Calibration(shareWeight: weight(.share), logProbabilityWeight: weight(.logProbability),
                                  probeWeight: weight(.probe), evidence: evidence)
    let probe = best.map { fitProbe(layerIndex: $0.index, penalty: $0.penalty, layer: $0.layer, where: { _ in true }) }
    if names.contains(.probe) { calibration.probe = probe }
    return Report(calibration: calibration, records: records.count, withGold: withGold, folds: folds, rows: rows,
                  chosen: names.map(\.rawValue).joined(separator: " + "), probeLayer: best?.layer,
                  probePenalty: best?.penalty, probeLogLoss: best?.logLoss, probeTrials: trials, probe: probe,
                  layers: layers)
  }

  enum Feature: String {
    case share
    case logProbability = "log-probability"
    case probe
  }

  // MARK: - Pieces

  /// Records shuffled with the seed, then dealt round-robin into folds.
  func foldAssignment() -> [Int] {
    var rng = RandomGenerator(seed: seed)
    var order = Array(records.indices)
    for i in stride(from: order.count - 1, to: 0, by: -1) {
      let j = Int(rng.next() % UInt64(i + 1))
      order.swapAt(i, j)
    }
    var fold = [Int](repeating: 0, count: records.count)
    for (position, r) in order.enumerated() { fold[r] = position % folds }
    return fold
  }

  /// Sum over records (those `where` admits) of the share of `pick`'s chosen candidate being right.
  func count(where admit: (Int) -> Bool = { _ in true }, _ pick: (Int) -> Int?) -> Double {
    var total = 0.0
    for r in records.indices where admit(r) {
      if let c = pick(r), records[r].correct[c] { total += 1 }
    }
    return total
  }

  func pickFirstMax(_ scores: [Double]) -> Int? {
    guard !scores.isEmpty else { return nil }
    var best = 0
    for i in scores.indices where scores[i] > scores[best] { best = i }
    return best
  }

  func tiebreakPick(_ e: CandidateEvidence) -> Int? {
    guard let top = e.counts.max() else { return nil }
    let tied = e.counts.indices.filter { e.counts[$0] == top }
    let lp = e.meanLogProbability
    return tied.max { lp[$0] < lp[$1] || (lp[$0] == lp[$1] && $0 > $1) }
  }

  func expectedRandomTieBreak() -> Double {
    records.reduce(0) { total, record in
      guard let top = record.evidence.counts.max() else { return total }
      let tied = record.evidence.counts.indices.filter { record.evidence.counts[$0] == top }
      return total + Double(tied.filter { record.correct[$0] }.count) / Double(tied.count)
    }
  }

  func fitCombination(_ features: [[[Double]]], _ dimension: Int, where admit: (Int) -> Bool) -> [Double] {
    var groups: [[[Double]]] = []
    var chosen: [Int] = []
    for r in records.indices where admit(r) && records[r].hasGold && records[r].correct.count > 1 {
      groups.append(features[r])
      chosen.append(records[r].correct.firstIndex(of: true)!)
    }
    return LogisticRegression.fitConditional(groups: groups, chosen: chosen, dimension: dimension,
                                             penalty: CalibrationFitter.combinationPenalty)
  }

  /// The probe fitted on the candidates of the records `where` admits.
  func fitProbe(layerIndex: Int, penalty: Double, layer: Int, where admit: (Int) -> Bool) -> Calibration.Probe {
    var rows: [[Float]] = []
    var labels: [Bool] = []
    for r in records.indices where admit(r) {
      for (c, hidden) in records[r].evidence.hidden.enumerated() {
        rows.append(hidden[layerIndex])
        labels.append(records[r].correct[c])
      }
    }
    let d = rows.first?.count ?? 0
    var mean = [Double](repeating: 0, count: d)
    var variance = [Double](repeating: 0, count: d)
    for row in rows { for j in 0..<d { mean[j] += Double(row[j]) } }
    for j in 0..<d { mean[j] /= Double(max(rows.count, 1)) }
    for row in rows { for j in 0..<d { let t = Double(row[j]) - mean[j]; variance[j] += t * t } }
    let scale = variance.map { max(($0 / Double(max(rows.count, 1))).squareRoot(), 1e-6) }
    var x = [Double](repeating: 0, count: rows.count * d)
    for (i, row) in rows.enumerated() { for j in 0..<d { x[i * d + j] = (Double(row[j]) - mean[j]) / scale[j] } }
    let (w, b) = LogisticRegression.fitBinary(x: x, labels: labels, dimension: d, penalty: penalty)
    return Calibration.Probe(layer: layer, mean: mean.map(Float.init), scale: scale.map(Float.init),
                             weights: w.map(Float.init), bias: b)
  }

  /// Out-of-fold probe logits for every candidate ([record][candidate]) and their mean log-loss.
  func outOfFoldProbe(layerIndex: Int, penalty: Double, fold: [Int]) -> ([[Double]], Double) {
    var logits = records.map { $0.evidence.candidates.map { _ in 0.0 } }
    var loss = 0.0
    var n = 0
    for k in 0..<folds {
      let probe = fitProbe(layerIndex: layerIndex, penalty: penalty, layer: 0, where: { fold[$0] != k })
      for r in records.indices where fold[r] == k {
        for (c, hidden) in records[r].evidence.hidden.enumerated() {
          let z = probe.logit(hidden[layerIndex])
          logits[r][c] = z
          // log(1 + e^-z) for a right candidate, log(1 + e^z) for a wrong one
          let signed = records[r].correct[c] ? -z : z
          loss += signed > 30 ? signed : log1p(exp(signed))
          n += 1
        }
      }
    }
    return (logits, loss / Double(max(n, 1)))
  }
}

/// A fitted calibration applied to held-out evidence (`ssa calibrate --test-features`): each method's
/// right answers on the test records, and its wins and losses against majority vote (ties: first
/// appearance) on the same records. Nothing of the test records went into the fit.
public struct HeldOutReport: Sendable {
  public struct Row: Sendable {
    public var method: String
    public var correct: Int
    public var wins: Int
    public var losses: Int
  }

  public var records: Int
  public var rows: [Row]

  public init(calibration: Calibration, probe: Calibration.Probe?, layers: [Int], test: [LabeledEvidence]) {
    records = test.count
    func pick(_ scores: [Double]) -> Int? {
      guard !scores.isEmpty else { return nil }
      var best = 0
      for i in scores.indices where scores[i] > scores[best] { best = i }
      return best
    }
    let majority = test.map { pick($0.evidence.counts.map(Double.init)) }
    func row(_ name: String, _ choose: (LabeledEvidence) -> Int?) -> Row {
      var r = Row(method: name, correct: 0, wins: 0, losses: 0)
      for (i, record) in test.enumerated() {
        let right = choose(record).map { record.correct[$0] } ?? false
        let majorityRight = majority[i].map { record.correct[$0] } ?? false
        if right { r.correct += 1 }
        if right && !majorityRight { r.wins += 1 }
        if !right && majorityRight { r.losses += 1 }
      }
      return r
    }
    // the probe's layer among the test evidence's layers
    func probeLogits(_ e: CandidateEvidence, _ p: Calibration.Probe) -> [Double]? {
      guard let l = layers.firstIndex(of: p.layer) else { return nil }
      return e.hidden.map { p.logit($0[l]) }
    }
    rows = [
      row("majority vote (ties: first appearance)") { pick($0.evidence.counts.map(Double.init)) },
      row("model score alone (mean log-probability)") { pick($0.evidence.meanLogProbability) },
      row("tiebreak (majority, the model among the tied)") { r in
        let counts = r.evidence.counts
        guard let top = counts.max() else { return nil }
        let tied = counts.indices.filter { counts[$0] == top }
        let lp = r.evidence.meanLogProbability
        return tied.max { lp[$0] < lp[$1] || (lp[$0] == lp[$1] && $0 > $1) }
      },
    ]
    if let probe {
      rows.append(row("probe alone (layer \(probe.layer))") { r in probeLogits(r.evidence, probe).flatMap(pick) })
    }
    rows.append(row("calibrated (the fitted weights)") { r in
      var e = r.evidence
      if let p = calibration.probe, let l = layers.firstIndex(of: p.layer) {
        e = CandidateEvidence(candidates: e.candidates, counts: e.counts, sampleCount: e.sampleCount, offsets: e.offsets,
                              orderLogProbabilities: e.orderLogProbabilities, tokenCounts: e.tokenCounts,
                              hidden: e.hidden.map { [$0[l]] }, promptTokens: e.promptTokens)
      }
      return pick(calibration.scores(e))
    })
  }

  public var table: String {
    var lines = ["held out: \(records) contested records of the test evidence"]
    lines.append("method".padding(toLength: 48, withPad: " ", startingAt: 0) + "right   +/- vs majority")
    for r in rows {
      lines.append(r.method.padding(toLength: 48, withPad: " ", startingAt: 0)
                   + String(format: "%5d   +%d/-%d", r.correct, r.wins, r.losses))
    }
    return lines.joined(separator: "\n")
  }

  public var json: JSON {
    .object([("records", .int(records)), ("rows", .array(rows.map {
      .object([("method", .string($0.method)), ("correct", .int($0.correct)), ("wins", .int($0.wins)), ("losses", .int($0.losses))])
    }))])
  }
}
