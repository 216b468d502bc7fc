import Foundation

/// How the next token is chosen from the logits.
public struct SamplingSettings: Equatable, Sendable {
  /// 0 means greedy (argmax); otherwise logits are divided by it before the softmax.
  public var temperature: Float
  /// Keep only the k most likely tokens (0: no limit).
  public var topK: Int
  /// Keep the smallest set of most likely tokens whose probability reaches p (1: no limit).
  public var topP: Float
  public var seed: UInt64

  public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.seed = seed
  }

  public static let greedy = SamplingSettings()
  public var isGreedy: Bool { temperature <= 0 || topK == 1 }
}

/// Chooses tokens from logits: greedy, or temperature with top-k and top-p filtering (in that order,
/// as HF transformers' logits warpers apply them). Owns its random generator; deterministic per seed.
public struct Sampler: Sendable {
  public let settings: SamplingSettings
  private var rng: RandomGenerator
  private var candidates: [(token: Int, logit: Float)] = []

  public init(_ settings: SamplingSettings) {
    self.settings = settings
    rng = RandomGenerator(seed: settings.seed)
  }

  public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
    if settings.isGreedy { return Sampler.argmax(logits) }
    let invT = 1 / settings.temperature
    // Top-k first: a partial selection keeps this O(V) for the usual small k.
    candidates.removeAll(keepingCapacity: true)
    if settings.topK > 0 && settings.topK < logits.count {
      selectTopK(logits, settings.topK)
    } else {
      candidates.reserveCapacity(logits.count)
      for (i, l) in logits.enumerated() { candidates.append((i, l)) }
    }
    candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.token < $1.token) }
    // Softmax of logit / T over the survivors, in Double for a stable sum.
    let maxLogit = candidates[0].logit
    var probabilities = candidates.map { Double(expf(($0.logit - maxLogit) * invT)) }
    var total = probabilities.reduce(0, +)
    if settings.topP < 1 {
      var cumulative = 0.0
      var keep = probabilities.count
      for (i, p) in probabilities.enumerated() {
        cumulative += p / total
        if cumulative >= Double(settings.topP) {
          keep = i + 1
          break
        }
      }
      probabilities.removeLast(probabilities.count - keep)
      total = probabilities.reduce(0, +)
    }
    let r = Double(rng.nextUnit()) * total
    var cumulative = 0.0
    for (i, p) in probabilities.enumerated() {
      cumulative += p
      if r < cumulative { return candidates[i].token }
    }
    return candidates[probabilities.count - 1].token
  }

  /// Index of the largest logit (the first one on ties, as torch.argmax).
  public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for i in 0..<logits.count where logits[i] > bestValue {
      bestValue = logits[i]
      best = i
    }
    return best
  }

  /// Fill `candidates` with the k largest logits (unordered), keeping a min-heap of size k.
  private mutating func selectTopK(_ logits: UnsafeBufferPointer<Float>, _ k: Int) {
    var heap: [(token: Int, logit: Float)] = []
    heap.reserveCapacity(k)
    func less(_ a: (token: Int, logit: Float), _ b: (token: Int, logit: Float)) -> Bool {
      a.logit < b.logit || (a.logit == b.logit && a.token > b.token)
    }
    func siftDown(_ start: Int) {
      var i = start
      while true {
        let l = 2 * i + 1, r = l + 1
        var m = i
        if l < heap.count && less(heap[l], heap[m]) { m = l }
        if r < heap.count && less(heap[r], heap[m]) { m = r }
        if m == i { return }
        heap.swapAt(i, m)
        i = m
      }
    }
    for i in 0..<logits.count {
      let item = (token: i, logit: logits[i])
      if heap.count < k {
        heap.append(item)
        var c = heap.count - 1
        while c > 0 {
          let p = (c - 1) / 2
          if less(heap[c], heap[p]) { heap.swapAt(c, p); c = p } else { break }
        }
      } else if less(heap[0], item) {
        heap[0] = item
        siftDown(0)
      }
    }
    candidates.append(contentsOf: heap)
  }
}
