/// What the samples and the model say about each distinct answer of a sample set, independent of the
/// order the samples come in: the votes, and the model's log-probability of `<answer>X</answer>` (and
/// its hidden states there) averaged over rotations of the samples, so that each sample takes each
/// position equally often.
///
/// A zero-shot instruct model copies the answer of the sample it read last (on the dev data, 281 of
/// 300 times). Averaged over rotations, that preference is spread evenly over the samples, and what
/// is left is the model's view of the answers themselves (and of how many samples state them).
public struct CandidateEvidence: Sendable {
  /// The distinct answers, in order of first appearance in the samples as given.
  public let candidates: [Answer]
  /// Votes per candidate.
  public let counts: [Int]
  /// Samples in the set (those without an answer included).
  public let sampleCount: Int
  /// The sample offsets of the orders scored: order r puts sample `(i + offsets[r]) % k` at position i.
  /// Empty for pointwise evidence (each sample read alone; one row of log-probabilities, each
  /// candidate's mean over its samples).
  public let offsets: [Int]
  /// [order][candidate]: the log-probability of the candidate's answer after the prompt in that order.
  public let orderLogProbabilities: [[Double]]
  /// Tokens of each candidate's continuation.
  public let tokenCounts: [Int]
  /// [candidate][layer]: the hidden state after the continuation's last token, averaged over orders.
  public let hidden: [[[Float]]]
  /// Prompt tokens of all the orders' prompts (what the scoring read, before prefix reuse).
  public let promptTokens: Int

  public init(candidates: [Answer], counts: [Int], sampleCount: Int, offsets: [Int],
              orderLogProbabilities: [[Double]], tokenCounts: [Int], hidden: [[[Float]]], promptTokens: Int) {
    self.candidates = candidates
    self.counts = counts
    self.sampleCount = sampleCount
    self.offsets = offsets
    self.orderLogProbabilities = orderLogProbabilities
    self.tokenCounts = tokenCounts
    self.hidden = hidden
    self.promptTokens = promptTokens
  }

  /// The evidence on the candidates at `indices` only (each candidate's scores are its own: the
  /// others' continuations do not change them).
  public func selecting(_ indices: [Int]) -> CandidateEvidence {
    CandidateEvidence(candidates: indices.map { candidates[$0] }, counts: indices.map { counts[$0] },
                      sampleCount: sampleCount, offsets: offsets,
                      orderLogProbabilities: orderLogProbabilities.map { o in indices.map { o[$0] } },
                      tokenCounts: indices.map { tokenCounts[$0] }, hidden: indices.map { hidden[$0] },
                      promptTokens: promptTokens)
  }

  /// Each candidate's log-probability averaged over the orders.
  public var meanLogProbability: [Double] {
    candidates.indices.map { c in
      orderLogProbabilities.reduce(0) { $0 + $1[c] } / Double(max(1, orderLogProbabilities.count))
    }
  }

  /// Share of the samples that state each candidate.
  public var shares: [Double] { counts.map { Double($0) / Double(max(1, sampleCount)) } }

  /// The orders for `rotations` rotations of `k` samples: evenly spaced offsets, all k by default
  /// (each sample then takes each position once).
  public static func offsets(k: Int, rotations: Int?) -> [Int] {
    let r = max(1, min(rotations ?? k, k))
    return (0..<r).map { $0 * k / r }
  }

  /// The samples in order `offset`.
  public static func rotated<T>(_ samples: [T], by offset: Int) -> [T] {
    guard !samples.isEmpty else { return samples }
    let o = offset % samples.count
    return Array(samples[o...] + samples[..<o])
  }
}

/// How the model reads a sample set for the scoring methods.
public enum EvidenceKind: String, CaseIterable, Sendable {
  /// All samples in one prompt, in rotations of their order (each sample in each position once).
  case rotations
  /// Each sample alone in the prompt, its own answer scored after it: no order at all, and about a
  /// quarter of the tokens of four rotations.
  case pointwise
}

/// Running sums of continuation scores per candidate: hidden states and token counts.
struct EvidenceSums {
  var hiddenSums: [[[Float]]]
  var counts: [Int]
  var tokenCounts: [Int]

  init(candidates: Int, layers: Int) {
    hiddenSums = Array(repeating: Array(repeating: [], count: layers), count: candidates)
    counts = Array(repeating: 0, count: candidates)
    tokenCounts = Array(repeating: 0, count: candidates)
  }

  mutating func add(_ score: ContinuationScore, to c: Int) {
    counts[c] += 1
    tokenCounts[c] = score.tokenCount
    for (l, h) in score.hidden.enumerated() where l < hiddenSums[c].count {
      if hiddenSums[c][l].isEmpty { hiddenSums[c][l] = h } else {
        for i in 0..<min(h.count, hiddenSums[c][l].count) { hiddenSums[c][l][i] += h[i] }
      }
    }
  }

  var meanHidden: [[[Float]]] {
    zip(hiddenSums, counts).map { layers, n in layers.map { $0.map { $0 / Float(max(n, 1)) } } }
  }
}
