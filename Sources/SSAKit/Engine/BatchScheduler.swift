/// The batched engine's policy, apart from the model runner: which waiting requests join (slots and
/// the KV memory budget, first come first served), and which tokens of which sequence run in a step
/// (every decoding sequence's next token first, then prompt chunks in the order the sequences joined,
/// up to the step's token budget, so that decoding never waits behind a long prompt).
public struct BatchScheduler: Sendable {
  /// Sequences at most at once.
  public var maxSequences: Int
  /// Tokens at most in one forward pass (the run state's rows).
  public var stepTokens: Int
  /// Bytes of KV cache at most: the active sequences' and the retained prefixes'.
  public var memoryBudget: Int

  public init(maxSequences: Int, stepTokens: Int, memoryBudget: Int) {
    self.maxSequences = max(1, maxSequences)
    self.stepTokens = max(stepTokens, self.maxSequences)
    self.memoryBudget = memoryBudget
  }

  /// Whether a request needing `bytes` of cache can join now, with `active` sequences holding
  /// `used` bytes.
  public func admits(bytes: Int, active: Int, used: Int) -> Bool {
    active < maxSequences && used + bytes <= memoryBudget
  }

  /// Tokens each sequence runs this step, given what each has left (parallel to `remaining`, in the
  /// order the sequences joined): 1 for every sequence with one token left (decoding), then the
  /// budget that is left in prompt chunks, oldest sequence first. Every sequence with one token left
  /// always runs (`stepTokens >= maxSequences`).
  public func plan(remaining: [Int]) -> [Int] {
    var take = remaining.map { $0 == 1 ? 1 : 0 }
    var budget = stepTokens - take.reduce(0, +)
    for (i, r) in remaining.enumerated() where r > 1 && budget > 0 {
      take[i] = min(r, budget)
      budget -= take[i]
    }
    return take
  }
}
