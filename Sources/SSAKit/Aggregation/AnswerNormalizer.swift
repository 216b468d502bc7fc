import Foundation

/// Cleans an extracted answer the way MATH-style graders do (Hendrycks' `strip_string`, as extended by
/// Qwen2.5-Math's grader), so that `$18`, `18.`, `\text{18 dollars}` and `\boxed{18}` all read `18`.
///
/// Decisions worth knowing:
/// - Percent signs are dropped: `18%` is the answer 18 (as `strip_string` does). `0.18` is not `18%`;
///   the grader's "maybe a percentage" rescaling is not applied, because it would make equality
///   non-transitive and voting needs a partition.
/// - A number followed only by words (`18 dollars`, `5 cm`, `3 hours per day`) is that number; so
///   `5 pm` and `5 am` both read 5.
/// - A sentence (two or more words and a number, no LaTeX), as a model may write inside `<answer>`,
///   reads as its last number: `She makes 18 dollars a day` -> 18.
public enum AnswerNormalizer {
  /// The cleaned answer; empty when nothing is left.
  public static func clean(_ raw: String) -> String {
    var s = AnswerExtractor.trimmed(raw)
    if s.contains("\\boxed") || s.contains("\\fbox"), let inner = AnswerExtractor.lastBoxed(in: s) { s = inner }
    s = AnswerExtractor.removingCalculatorAnnotations(s)
    s = unwrappingTextCommands(s)
    for (from, to) in replacements { s = s.replacingOccurrences(of: from, with: to) }
    s = removingSizeCommands(s)
    s = trimmingEnds(s)
    s = unwrappingBraces(s)
    s = droppingAssignment(s)
    s = removingThousandsSeparators(s)
    s = droppingUnits(s)
    if isSentence(s), let number = AnswerExtractor.lastNumber(in: s) { s = removingThousandsSeparators(number) }
    if let decimal = DecimalNumber.parse(s) { s = decimal.canonical }
    return s
  }

  /// Plain substitutions; order matters (`\$` before `$`, `\%` before `%`).
  static let replacements: [(String, String)] = [
    ("\u{2212}", "-"), ("\u{00A0}", " "),
    ("\\!", ""), ("\\,", ""), ("\\;", ""), ("\\:", ""), ("\\ ", " "), ("~", " "),
    ("\\displaystyle", ""), ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"),
    ("^{\\circ}", ""), ("^\\circ", ""), ("\\degree", ""), ("°", ""),
    ("\\$", ""), ("$", ""), ("\\%", ""), ("%", ""), ("{,}", ""),
  ]

  /// `\text{X}`, `\textbf{X}`, `\mathrm{X}`, `\mbox{X}` ... become X.
  static func unwrappingTextCommands(_ s: String) -> String {
    let names: Set<String> = ["text", "textbf", "textit", "textrm", "textup", "mathrm", "mathbf", "mathit", "mbox", "operatorname"]
    guard s.contains("\\") else { return s }
    var b = Array(s.utf8)
    var i = 0
    while i < b.count {
      guard b[i] == UInt8(ascii: "\\") else {
        i += 1
        continue
      }
      var j = i + 1
      while j < b.count, AnswerExtractor.isLetter(b[j]) { j += 1 }
      let name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
      var open = j
      while open < b.count, b[open] == UInt8(ascii: " ") { open += 1 }
      if names.contains(name), open < b.count, b[open] == UInt8(ascii: "{"),
         let close = AnswerExtractor.matchingBrace(b, open: open) {
        b.replaceSubrange(i...close, with: b[(open + 1)..<close])
        continue  // the inner text may start with another command
      }
      i = max(j, i + 1)
    }
    return String(decoding: b, as: UTF8.self)
  }

  /// `\left(` and `\right)` become `(` and `)`; `\leftarrow` stays.
  static func removingSizeCommands(_ s: String) -> String {
    guard s.contains("\\left") || s.contains("\\right") else { return s }
    let b = Array(s.utf8)
    let commands = [Array("\\left".utf8), Array("\\right".utf8)]
    var out: [UInt8] = []
    var i = 0
    scan: while i < b.count {
      for command in commands where b[i...].starts(with: command) {
        let end = i + command.count
        if end == b.count || !AnswerExtractor.isLetter(b[end]) {
          i = end
          continue scan
        }
      }
      out.append(b[i])
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Whitespace and trailing full stops at the ends.
  static func trimmingEnds(_ s: String) -> String {
    var t = AnswerExtractor.trimmed(s)
    while t.hasSuffix(".") {
      t.removeLast()
      t = AnswerExtractor.trimmed(t)
    }
    return t
  }

  /// `{18}` becomes 18, when the outer braces enclose everything.
  static func unwrappingBraces(_ s: String) -> String {
    var t = s
    while t.hasPrefix("{") {
      let b = Array(t.utf8)
      guard AnswerExtractor.matchingBrace(b, open: 0) == b.count - 1 else { break }
      t = AnswerExtractor.trimmed(String(decoding: b[1..<(b.count - 1)], as: UTF8.self))
    }
    return t
  }

  /// `x = 5` becomes 5 (a single-letter variable on the left).
  static func droppingAssignment(_ s: String) -> String {
    let b = Array(s.utf8)
    guard b.count > 2, AnswerExtractor.isLetter(b[0]) else { return s }
    var i = 1
    while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
    guard i < b.count, b[i] == UInt8(ascii: "="), i + 1 < b.count else { return s }
    return AnswerExtractor.trimmed(String(decoding: b[(i + 1)...], as: UTF8.self))
  }

  /// `1,234,567` becomes 1234567; `1,2,3` (not groups of three) stays.
  static func removingThousandsSeparators(_ s: String) -> String {
    let b = Array(s.utf8)
    guard b.contains(UInt8(ascii: ",")) else { return s }
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var i = 0
    while i < b.count {
      if b[i] == UInt8(ascii: ","), i > 0, AnswerExtractor.isDigit(b[i - 1]), i + 3 < b.count,
         AnswerExtractor.isDigit(b[i + 1]), AnswerExtractor.isDigit(b[i + 2]), AnswerExtractor.isDigit(b[i + 3]),
         i + 4 == b.count || !AnswerExtractor.isDigit(b[i + 4]) {
        i += 1
        continue
      }
      out.append(b[i])
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// `18 dollars`, `5 cm`, `3 hours per day` become the number.
  static func droppingUnits(_ s: String) -> String {
    let b = Array(s.utf8)
    var i = 0
    if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
    let numberStart = i
    while i < b.count, AnswerExtractor.isDigit(b[i]) || b[i] == UInt8(ascii: ".") { i += 1 }
    guard i > numberStart, DecimalNumber.parse(String(decoding: b[0..<i], as: UTF8.self)) != nil else { return s }
    let rest = AnswerExtractor.trimmed(String(decoding: b[i...], as: UTF8.self))
    guard let first = rest.unicodeScalars.first, CharacterSet.letters.contains(first), rest.count <= 40,
          rest.unicodeScalars.allSatisfy({ CharacterSet.letters.contains($0) || " ./'-".unicodeScalars.contains($0) })
    else { return s }
    return String(decoding: b[0..<i], as: UTF8.self)
  }

  /// Two or more words of letters and no LaTeX: prose, not a formula.
  static func isSentence(_ s: String) -> Bool {
    guard !s.contains("\\") else { return false }
    let words = s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
      .filter { $0.count >= 2 && $0.allSatisfy { $0.isLetter } }
    return words.count >= 2
  }
}
