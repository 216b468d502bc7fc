import Foundation

/// Evidence computed for one aggregator and reused by others on the same sample set, in the same
/// order, with the same format, rotations and layers (`ssa eval --methods debiased,tiebreak,...`
/// scores each set once). Keeps the evidence of the most recent sample sets only. Thread-safe.
public final class EvidenceCache: @unchecked Sendable {
  public struct Key: Hashable {
    public var question: String
    public var samples: [String]
    public var rotations: Int?
    public var evidence: EvidenceKind
    public var format: PromptFormat
    public var layers: [Int]
  }

  private var entries: [Key: (CandidateEvidence, Double)] = [:]
  private var order: [Key] = []
  private let lock = NSLock()
  public let capacity: Int

  public init(capacity: Int = 64) { self.capacity = capacity }

  /// The evidence and the model seconds it took.
  public subscript(key: Key) -> (CandidateEvidence, Double)? {
    get {
      lock.lock()
      defer { lock.unlock() }
      return entries[key]
    }
    set {
      lock.lock()
      defer { lock.unlock() }
      guard let newValue else { entries[key] = nil; return }
      if entries.updateValue(newValue, forKey: key) == nil { order.append(key) }
      while order.count > capacity { entries[order.removeFirst()] = nil }
    }
  }
}
