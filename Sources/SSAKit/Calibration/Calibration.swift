import Foundation

/// The fitted score of the `calibrated` method: each candidate answer of a sample set gets
/// `share x w_share + logProbability x w_lp + probe x w_probe` (its share of the votes, its debiased
/// log-probability, the probe's logit on its hidden state) and the highest score wins. The weights
/// are a conditional logit (a softmax over each record's candidates) fitted by `ssa calibrate` on
/// labeled sample sets and stored in the model file's `ssa.calibration.*` metadata.
public struct Calibration: Equatable, Sendable {
  public var shareWeight: Double
  public var logProbabilityWeight: Double
  public var probeWeight: Double
  public var probe: Probe?
  /// How the model read the samples when the weights were fitted (and so must read them now).
  public var evidence: EvidenceKind

  public init(shareWeight: Double, logProbabilityWeight: Double, probeWeight: Double = 0, probe: Probe? = nil,
              evidence: EvidenceKind = .rotations) {
    self.shareWeight = shareWeight
    self.logProbabilityWeight = logProbabilityWeight
    self.probeWeight = probeWeight
    self.probe = probe
    self.evidence = evidence
  }

  /// A linear probe on the hidden state after a candidate's teacher-forced `<answer>X</answer>`
  /// (averaged over the rotations): the logit that the candidate is right.
  public struct Probe: Equatable, Sendable {
    /// The layer (0-based) whose output it reads.
    public var layer: Int
    /// Standardization: (h - mean) / scale, element by element.
    public var mean: [Float]
    public var scale: [Float]
    public var weights: [Float]
    public var bias: Double

    public init(layer: Int, mean: [Float], scale: [Float], weights: [Float], bias: Double) {
      self.layer = layer
      self.mean = mean
      self.scale = scale
      self.weights = weights
      self.bias = bias
    }

    public func logit(_ h: [Float]) -> Double {
      var total = bias
      for i in 0..<min(h.count, weights.count) {
        total += Double(weights[i]) * Double((h[i] - mean[i]) / scale[i])
      }
      return total
    }
  }

  /// Each candidate's score; `evidence` must carry the probe's layer when there is a probe.
  public func scores(_ evidence: CandidateEvidence) -> [Double] {
    let shares = evidence.shares
    let logProbabilities = evidence.meanLogProbability
    return evidence.candidates.indices.map { c in
      var s = shareWeight * shares[c] + logProbabilityWeight * logProbabilities[c]
      if let probe, probeWeight != 0, let h = evidence.hidden[c].first, !h.isEmpty {
        s += probeWeight * probe.logit(h)
      }
      return s
    }
  }

  // MARK: - In the model file

  static let prefix = "ssa.calibration."

  /// The calibration a model file holds, nil when it holds none; a malformed one throws.
  public init?(gguf: GGUFFile, hiddenSize: Int, layerCount: Int) throws {
    func number(_ key: String) throws -> Double? {
      guard let value = gguf[Calibration.prefix + key] else { return nil }
      guard let v = value.double, v.isFinite else { throw ModelError.badMetadata(key: Calibration.prefix + key, reason: "expected a finite number, got \(value)") }
      return v
    }
    guard let share = try number("share_weight") else { return nil }
    let lp = try number("log_probability_weight") ?? 0
    let probeWeight = try number("probe_weight") ?? 0
    var probe: Probe?
    if let layer = try number("probe.layer") {
      func vector(_ key: String) throws -> [Float] {
        guard let v = gguf[Calibration.prefix + key]?.floats, v.count == hiddenSize, v.allSatisfy(\.isFinite) else {
          throw ModelError.badMetadata(key: Calibration.prefix + key, reason: "expected \(hiddenSize) finite numbers")
        }
        return v
      }
      guard layer >= 0, layer < Double(layerCount), layer == layer.rounded() else {
        throw ModelError.noSuchLayer(Int(layer.clamped(to: -1...1e9)), layerCount: layerCount)
      }
      let scale = try vector("probe.scale")
      guard scale.allSatisfy({ $0 > 0 }) else {
        throw ModelError.badMetadata(key: Calibration.prefix + "probe.scale", reason: "expected positive numbers")
      }
      probe = Probe(layer: Int(layer), mean: try vector("probe.mean"), scale: scale,
                    weights: try vector("probe.weights"), bias: try number("probe.bias") ?? 0)
    }
    let evidenceKey = Calibration.prefix + "evidence"
    var evidence = EvidenceKind.rotations
    if let value = gguf[evidenceKey] {
      guard let name = value.string, let kind = EvidenceKind(rawValue: name) else {
        throw ModelError.badMetadata(key: evidenceKey, reason: "expected rotations or pointwise, got \(value)")
      }
      evidence = kind
    }
    self.init(shareWeight: share, logProbabilityWeight: lp, probeWeight: probeWeight, probe: probe, evidence: evidence)
  }

  /// The metadata entries that store this calibration.
  public var metadata: [(key: String, value: GGUFValue)] {
    var out: [(key: String, value: GGUFValue)] = [
      (Calibration.prefix + "share_weight", .float64(shareWeight)),
      (Calibration.prefix + "log_probability_weight", .float64(logProbabilityWeight)),
      (Calibration.prefix + "probe_weight", .float64(probeWeight)),
      (Calibration.prefix + "evidence", .string(evidence.rawValue)),
    ]
    if let probe {
      func vector(_ v: [Float]) -> GGUFValue { .array(.float32, v.map { .float32($0) }) }
      out += [
        (Calibration.prefix + "probe.layer", .uint32(UInt32(probe.layer))),
        (Calibration.prefix + "probe.mean", vector(probe.mean)),
        (Calibration.prefix + "probe.scale", vector(probe.scale)),
        (Calibration.prefix + "probe.weights", vector(probe.weights)),
        (Calibration.prefix + "probe.bias", .float64(probe.bias)),
      ]
    }
    return out
  }
}

extension Double {
  fileprivate func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
