/// Evidence computed for one aggregator and reused by others on the same sample set, in the same
/// order, with the same format, rotations and layers (`ssa eval --methods debiased,tiebreak,...`
/// scores each set once). Keeps the evidence of the most recent sample sets only.
public final class EvidenceCache {
  public struct Key: Hashable {
    public var question: String
    public var samples: [String]
    public var rotations: Int?
    public var format: PromptFormat
    public var layers: [Int]
  }

  private var entries: [Key: (CandidateEvidence, Double)] = [:]
  private var order: [Key] = []
  public let capacity: Int

  public init(capacity: Int = 64) { self.capacity = capacity }

  /// The evidence and the model seconds it took.
  public subscript(key: Key) -> (CandidateEvidence, Double)? {
    get { entries[key] }
    set {
      guard let newValue else { entries[key] = nil; return }
      if entries.updateValue(newValue, forKey: key) == nil { order.append(key) }
      while order.count > capacity { entries[order.removeFirst()] = nil }
    }
  }
}
