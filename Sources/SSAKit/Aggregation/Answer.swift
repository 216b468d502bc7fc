/// A final answer ready to vote or grade: its cleaned text and the key that decides equality.
public struct Answer: Hashable, Sendable, CustomStringConvertible {
  /// The cleaned answer (numbers in canonical form: `$1,234.50` reads `1234.5`).
  public let text: String
  public let key: AnswerKey

  /// The answer a raw string states (`$18.`, `\boxed{18}`, `18 dollars`), or nil when nothing is left.
  public init?(_ raw: String) {
    let cleaned = AnswerNormalizer.clean(raw)
    guard !cleaned.isEmpty else { return nil }
    self.text = cleaned
    self.key = AnswerKey(cleaned: cleaned)
  }

  /// The final answer of a full solution (extraction, then cleaning), or nil.
  public init?(solution: String) {
    guard let raw = AnswerExtractor.finalAnswer(in: solution) else { return nil }
    self.init(raw)
  }

  public static func == (a: Answer, b: Answer) -> Bool { a.key == b.key }
  public func hash(into hasher: inout Hasher) { hasher.combine(key) }

  public var description: String { text }

  /// Whether `answer` (an aggregator's answer or an extracted one) is the gold answer.
  public static func isCorrect(_ answer: String?, gold: String) -> Bool {
    guard let answer, let a = Answer(answer), let g = Answer(gold) else { return false }
    return a == g
  }
}
