/// How `Aggregator` turns a sample set into one answer.
public enum AggregationMethod: String, CaseIterable, Sendable {
  /// The model reads the samples as given and writes its answer (the SSA method).
  case generate
  /// The model scores each distinct answer of the samples, read as given, and the likeliest wins.
  case choose
  /// `choose` with each answer's log-probability averaged over rotations of the samples, so that no
  /// sample's position decides (a zero-shot model favours the last sample it read).
  case debiased
  /// The model writes an answer for each rotation of the samples; the answers are then voted on.
  case ensemble
  /// Majority vote; where the top count is tied, `debiased` among the tied answers only.
  case tiebreak
  /// Votes and debiased scores (and the hidden-state probe) weighted as `ssa calibrate` fitted them on
  /// labeled data; the weights are read from the model file.
  case calibrated
  /// Majority vote alone (ties: first appearance); the model is not run.
  case majority

  /// Whether the method picks among the samples' answers by score (the record carries `scores`).
  public var scoresCandidates: Bool {
    switch self {
    case .choose, .debiased, .tiebreak, .calibrated: return true
    case .generate, .ensemble, .majority: return false
    }
  }

  /// Whether the method reads the samples in several orders.
  public var usesRotations: Bool {
    switch self {
    case .debiased, .ensemble, .tiebreak, .calibrated: return true
    case .generate, .choose, .majority: return false
    }
  }
}
