import Foundation

/// What two answers must share to count as the same answer, for voting and for grading.
///
/// Numbers compare by value: an integer value (18, 18.0, 18.00, 36/2, \frac{36}{2}) keys on its exact
/// digits, any size; any other value keys on its double rounded to 10 significant digits, so the float
/// noise of different writers agrees (8.333333333333334 = 8.33333333333333 = 25/3) while 10.83 and
/// 10.833 stay apart. Rounding to a grid keeps equality transitive, which voting needs (the MATH
/// grader's relative tolerance is not). Anything else keys on its cleaned text without whitespace.
public enum AnswerKey: Hashable, Sendable, CustomStringConvertible {
  case number(String)
  case text(String)

  public var description: String {
    switch self {
    case .number(let n): return n
    case .text(let t): return t
    }
  }

  /// The key of an already cleaned answer (see `AnswerNormalizer.clean`).
  public init(cleaned: String) {
    let compact = String(cleaned.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))
    if let number = AnswerKey.number(compact) {
      self = .number(number)
    } else {
      self = .text(compact)
    }
  }

  /// The canonical key of a plain decimal (`-1.50`), a fraction (`3/4`) or a LaTeX fraction
  /// (`\frac{3}{4}`, `-\frac34`), or nil when the text is none of these.
  static func number(_ s: String) -> String? {
    if let decimal = DecimalNumber.parse(s) { return decimal.key }
    guard let (sign, numerator, denominator) = fraction(s),
          let p = DecimalNumber.parse(numerator), let q = DecimalNumber.parse(denominator), q.value != 0
    else { return nil }
    if let pi = p.integer, let qi = q.integer, qi != 0, pi % qi == 0 {
      return DecimalNumber.integerKey(sign * (pi / qi))
    }
    return DecimalNumber.roundedKey(Double(sign) * p.value / q.value)
  }

  /// Splits `a/b`, `\frac{a}{b}` and `\frac ab` (one digit each) into sign, numerator, denominator.
  static func fraction(_ s: String) -> (Int, String, String)? {
    var body = Substring(s)
    var sign = 1
    if body.hasPrefix("-") {
      sign = -1
      body = body.dropFirst()
    } else if body.hasPrefix("+") {
      body = body.dropFirst()
    }
    if body.hasPrefix("\\frac") {
      body = body.dropFirst(5)
      guard let (a, rest) = group(body), let (b, tail) = group(rest), tail.isEmpty else { return nil }
      if a.hasPrefix("-") { return (-sign, String(a.dropFirst()), String(b)) }
      return (sign, String(a), String(b))
    }
    let parts = body.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return nil }
    return (sign, String(parts[0]), String(parts[1]))
  }

  /// One LaTeX argument: `{...}` without nesting, or a single character.
  private static func group(_ s: Substring) -> (Substring, Substring)? {
    guard let first = s.first else { return nil }
    if first == "{" {
      guard let close = s.firstIndex(of: "}") else { return nil }
      let inner = s[s.index(after: s.startIndex)..<close]
      guard !inner.contains("{") else { return nil }
      return (inner, s[s.index(after: close)...])
    }
    return (s.prefix(1), s.dropFirst())
  }
}
