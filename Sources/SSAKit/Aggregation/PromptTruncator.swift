/// Shortens the middle of samples until a rendered prompt fits a token budget.
///
/// A sample's end is where its final answer is, and its start sets up its reasoning, so the cut is in
/// the middle: a third of the kept tokens from the start, the rest from the end, joined by `marker`.
/// The longest samples are cut first and to the same length (water-filling), so short samples stay
/// whole. Token counts come from `count`, which should be the model's own tokenizer; the pieces are
/// counted separately, so the result is checked on the whole prompt and tightened until it fits.
public struct PromptTruncator {
  public static let marker = "\n[...]\n"

  public let format: PromptFormat
  public let budget: Int
  public let minimumTail: Int
  public let contextLength: Int
  public let count: (Prompt) throws -> Int

  public init(format: PromptFormat, budget: Int, minimumTail: Int = 32, contextLength: Int,
              count: @escaping (Prompt) throws -> Int) {
    self.format = format
    self.budget = budget
    self.minimumTail = minimumTail
    self.contextLength = contextLength
    self.count = count
  }

  /// The samples (cut where needed), the prompt they render to, and its token count (at most `budget`).
  public func fit(question: String, samples: [String]) throws -> (samples: [String], prompt: Prompt, tokens: Int) {
    let whole = format.render(question: question, samples: samples)
    let total = try count(whole)
    if total <= budget { return (samples, whole, total) }

    let sizes = try samples.map { try count(Prompt([.init(.user, $0)])) }
    let markerTokens = try count(Prompt([.init(.user, PromptTruncator.marker)]))
    let overhead = max(0, total - sizes.reduce(0, +))
    var room = budget - overhead
    var shortest = total
    for _ in 0..<8 {
      guard let keep = largestKeep(sizes: sizes, markerTokens: markerTokens, room: room) else { break }
      let cut = try samples.enumerated().map { i, s in
        sizes[i] > keep + markerTokens ? try shorten(s, keep: keep) : s
      }
      let prompt = format.render(question: question, samples: cut)
      let tokens = try count(prompt)
      if tokens <= budget { return (cut, prompt, tokens) }
      shortest = min(shortest, tokens)
      room -= tokens - budget  // seams and cut points cost what separate counts missed; tighten
    }
    let floor = try samples.enumerated().map { i, s in
      sizes[i] > minimumTail + markerTokens ? try shorten(s, keep: minimumTail, head: 0) : s
    }
    shortest = min(shortest, try count(format.render(question: question, samples: floor)))
    throw AggregationError.cannotTruncate(promptTokens: total, shortestTokens: shortest, budget: budget,
                                          contextLength: contextLength)
  }

  /// The largest per-sample token allowance that fits `room`, or nil when even `minimumTail` does not.
  func largestKeep(sizes: [Int], markerTokens: Int, room: Int) -> Int? {
    func cost(_ keep: Int) -> Int {
      sizes.reduce(0) { $0 + ($1 > keep + markerTokens ? keep + markerTokens : $1) }
    }
    var lo = minimumTail
    var hi = sizes.max() ?? 0
    guard lo <= hi else { return cost(lo) <= room ? lo : nil }
    guard cost(lo) <= room else { return nil }
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if cost(mid) <= room { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  /// `sample` cut to about `keep` tokens: `head` from the start (a third by default), the rest from the end.
  func shorten(_ sample: String, keep: Int, head: Int? = nil) throws -> String {
    let chars = Array(sample)
    let headTokens = head ?? keep / 3
    let tailTokens = keep - headTokens
    let tailStart = try snapForward(chars, longestEnd(chars, tokens: tailTokens))
    let headEnd = try snapBack(chars, longestStart(chars[..<tailStart], tokens: headTokens))
    return String(chars[..<headEnd]) + PromptTruncator.marker + String(chars[tailStart...])
  }

  /// The smallest start index whose suffix fits `tokens`.
  private func longestEnd(_ chars: [Character], tokens: Int) throws -> Int {
    var lo = 0
    var hi = chars.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if try count(Prompt([.init(.user, String(chars[mid...]))])) <= tokens { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  /// The largest end index whose prefix fits `tokens`.
  private func longestStart(_ chars: ArraySlice<Character>, tokens: Int) throws -> Int {
    guard tokens > 0 else { return 0 }
    var lo = 0
    var hi = chars.count
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if try count(Prompt([.init(.user, String(chars[..<mid]))])) <= tokens { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  /// Moves a tail cut forward to just after whitespace, when there is some within a few characters.
  private func snapForward(_ chars: [Character], _ i: Int) -> Int {
    guard i > 0, i < chars.count, !chars[i - 1].isWhitespace else { return i }
    for j in i..<min(chars.count, i + 16) where chars[j].isWhitespace { return j + 1 }
    return i
  }

  /// Moves a head cut back to just before whitespace, when there is some within a few characters.
  private func snapBack(_ chars: [Character], _ i: Int) -> Int {
    guard i > 0, i < chars.count, !chars[i].isWhitespace else { return i }
    var j = i - 1
    while j > max(0, i - 16) {
      if chars[j].isWhitespace { return j }
      j -= 1
    }
    return i
  }
}
