/// Majority vote over the final answers of a sample set.
///
/// Samples without an answer do not vote. Ties go to the answer that appeared first: with four samples
/// ties are common, and this is the rule behind the dev data's published 46.3%.
public struct MajorityVote: Sendable {
  /// Each sample's answer, in sample order (nil where a sample states none).
  public let answers: [Answer?]
  /// The distinct answers in order of first appearance, each as first written.
  public let candidates: [Answer]
  /// Votes per candidate, parallel to `candidates`.
  public let counts: [Int]

  public init(samples: [String]) {
    self.init(answers: samples.map { Answer(solution: $0) })
  }

  public init(answers: [Answer?]) {
    self.answers = answers
    var candidates: [Answer] = []
    var counts: [Int] = []
    var index: [AnswerKey: Int] = [:]
    for case let answer? in answers {
      if let i = index[answer.key] {
        counts[i] += 1
      } else {
        index[answer.key] = candidates.count
        candidates.append(answer)
        counts.append(1)
      }
    }
    self.candidates = candidates
    self.counts = counts
  }

  /// Position of the winner in `candidates`: the most votes, the earliest on a tie.
  public var winnerIndex: Int? {
    var best: Int?
    for i in counts.indices where best == nil || counts[i] > counts[best!] { best = i }
    return best
  }

  /// The majority answer, or nil when no sample states an answer.
  public var winner: Answer? { winnerIndex.map { candidates[$0] } }

  /// Share of all samples (answerless ones included) whose answer is the winner; 0 without a winner.
  public var agreement: Double {
    guard let i = winnerIndex, !answers.isEmpty else { return 0 }
    return Double(counts[i]) / Double(answers.count)
  }

  /// Every sample states an answer and they are all the same one.
  public var isUnanimous: Bool {
    !answers.isEmpty && candidates.count == 1 && counts[0] == answers.count
  }

  /// Whether `gold` is among the samples' answers (the oracle, pass@k).
  public func contains(gold: String) -> Bool {
    guard let g = Answer(gold) else { return false }
    return candidates.contains(g)
  }

  /// Share of samples whose answer is `gold` (pass@1 as the mean over samples).
  public func share(of gold: String) -> Double {
    guard let g = Answer(gold), !answers.isEmpty else { return 0 }
    return Double(answers.filter { $0 == g }.count) / Double(answers.count)
  }
}
