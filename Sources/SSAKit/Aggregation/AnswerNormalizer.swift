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

  /// The commands whose argument is plain text.
  static let textCommands: Set<String> = [
    "text", "textbf", "textit", "textrm", "textup", "mathrm", "mathbf", "mathit", "mbox", "operatorname",
  ]

  /// `\text{X}`, `\textbf{X}`, `\mathrm{X}`, `\mbox{X}` ... become X.
  ///
  /// One pass: an unwrapped command's `\name{` and its closing brace are marked removed rather than cut
  /// out of the bytes (a cut copies the rest, so n commands took time quadratic in n), and the scan goes
  /// on inside the braces, where the text may start with another command. A name or the spaces before
  /// its brace can run on past a removed brace, as they would in the cut text. A brace's match is the
  /// same in the cut text as in the original (a removed brace closes an argument that holds the whole
  /// match), so all matches come from one `BraceMatches`.
  static func unwrappingTextCommands(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    let b = Array(s.utf8)
    let braces = BraceMatches(b)
    var removed = [Bool](repeating: false, count: b.count)
    func kept(from k: Int) -> Int {  // the first byte at or after k still there
      var k = k
      while k < b.count, removed[k] { k += 1 }
      return k
    }
    var i = 0
    while i < b.count {
      guard b[i] == UInt8(ascii: "\\") else {
        i = kept(from: i + 1)
        continue
      }
      var name: [UInt8] = []
      var j = kept(from: i + 1)
      while j < b.count, AnswerExtractor.isLetter(b[j]) {
        name.append(b[j])
        j = kept(from: j + 1)
      }
      var open = j
      while open < b.count, b[open] == UInt8(ascii: " ") { open = kept(from: open + 1) }
      if open < b.count, b[open] == UInt8(ascii: "{"), let close = braces[open],
         textCommands.contains(String(decoding: name, as: UTF8.self)) {
        for k in i...open { removed[k] = true }
        removed[close] = true
        i = kept(from: open + 1)
        continue
      }
      i = j
    }
    return String(decoding: b.indices.lazy.filter { !removed[$0] }.map { b[$0] }, as: UTF8.self)
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
    var t = AnswerExtractor.trimmed(Substring(s))  // a slice, so `1. . . .` is not copied per stop
    while t.hasSuffix(".") {
      t.removeLast()
      t = AnswerExtractor.trimmed(t)
    }
    return String(t)
  }

  /// `{18}` becomes 18, when the outer braces enclose everything.
  ///
  /// Each layer is a slice of `s` (a substring's ends count as character boundaries, as a copy's would),
  /// and every match comes from one `BraceMatches`: `{{{...1...}}}` takes linear time, not quadratic.
  static func unwrappingBraces(_ s: String) -> String {
    guard s.hasPrefix("{") else { return s }
    let braces = BraceMatches(Array(s.utf8))
    var t = Substring(s)
    while t.hasPrefix("{") {
      let first = s.utf8.distance(from: s.startIndex, to: t.startIndex)
      let last = s.utf8.distance(from: s.startIndex, to: t.endIndex) - 1
      guard braces[first] == last else { break }
      t = AnswerExtractor.trimmed(t[t.utf8.index(after: t.startIndex)..<t.utf8.index(before: t.endIndex)])
    }
    return String(t)
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
