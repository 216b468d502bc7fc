import Foundation

/// Finds the final answer a solution states, as written (normalization is `Answer`'s job).
///
/// In the spirit of the MATH-style graders of the paper's evaluation code (Qwen2.5-Math's parser):
/// the last `\boxed{...}` (or `\fbox{...}`) wins; else the last of the closing phrases `#### x`,
/// `The answer is x`, a line `A: x` (the dev data's form) or `Answer: x`; else the last number.
/// GSM8K calculator annotations `<<16-3=13>>` are removed first, so they never become the answer.
public enum AnswerExtractor {
  /// The final answer of a solution, or nil when it states none (no marker and no number).
  public static func finalAnswer(in solution: String) -> String? {
    let text = removingCalculatorAnnotations(solution)
    if let boxed = lastBoxed(in: text) { return boxed }
    if let marked = lastMarkedAnswer(in: text) { return marked }
    return lastNumber(in: text)
  }

  /// The text inside the last `<answer>...</answer>` pair, trimmed, or nil (the SSA output contract).
  public static func taggedAnswer(in output: String) -> String? {
    let bytes = Array(output.utf8)
    guard let close = lastIndex(of: Array("</answer>".utf8), in: bytes, before: bytes.count),
          let open = lastIndex(of: Array("<answer>".utf8), in: bytes, before: close)
    else { return nil }
    return trimmed(String(decoding: bytes[(open + 8)..<close], as: UTF8.self))
  }

  /// Drops `<<expression=result>>` annotations. An annotation left open at the very end (a sample cut
  /// off mid-annotation) is dropped too.
  public static func removingCalculatorAnnotations(_ text: String) -> String {
    let b = Array(text.utf8)
    guard b.count > 1 else { return text }
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var i = 0
    while i < b.count {
      if b[i] == ascii("<"), i + 1 < b.count, b[i + 1] == ascii("<") {
        var j = i + 2
        while j < b.count, b[j] != ascii("<"), b[j] != ascii(">") { j += 1 }
        if j + 1 < b.count, b[j] == ascii(">"), b[j + 1] == ascii(">") {
          i = j + 2
          continue
        }
        if j == b.count { break }
      }
      out.append(b[i])
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Content of the last complete `\boxed{...}`/`\fbox{...}` (nested braces allowed), or of the brace-less
  /// form `\boxed 5`. An unclosed last box (truncated text) falls back to the one before it.
  public static func lastBoxed(in text: String) -> String? {
    let b = Array(text.utf8)
    var candidates: [Int] = []  // index just after the command name
    for name in ["\\boxed", "\\fbox"] {
      let pattern = Array(name.utf8)
      var from = 0
      while let at = firstIndex(of: pattern, in: b, from: from) {
        let after = at + pattern.count
        if after >= b.count || !isLetter(b[after]) { candidates.append(after) }
        from = at + 1
      }
    }
    for start in candidates.sorted(by: >) {
      var i = start
      while i < b.count, b[i] == ascii(" ") { i += 1 }
      guard i < b.count else { continue }
      if b[i] == ascii("{") {
        if let close = matchingBrace(b, open: i) {
          return trimmed(String(decoding: b[(i + 1)..<close], as: UTF8.self))
        }
      } else if i > start {
        var j = i
        while j < b.count, b[j] != ascii("$"), !isSpace(b[j]) { j += 1 }
        if j > i { return String(decoding: b[i..<j], as: UTF8.self) }
      }
    }
    return nil
  }

  /// The text after the last closing phrase: `#### x`, `... answer is x`, or a line `A: x`,
  /// `Answer: x`, `Final answer: x`. Empty phrases are skipped in favour of earlier ones.
  static func lastMarkedAnswer(in text: String) -> String? {
    var found: [(line: Int, column: Int, content: String)] = []
    // "\r\n" is one Character in Swift, so split on it explicitly.
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    for (n, line) in lines.enumerated() {
      if let r = line.range(of: "####", options: .backwards) {
        found.append((n, line.distance(from: line.startIndex, to: r.upperBound), String(line[r.upperBound...])))
      }
      if let r = line.range(of: "answer is", options: [.backwards, .caseInsensitive]) {
        var rest = trimmed(String(line[r.upperBound...]))
        if rest.hasPrefix(":") { rest = String(rest.dropFirst()) }
        if let stop = rest.range(of: ". ") { rest = String(rest[..<stop.lowerBound]) }
        if trimmed(rest).isEmpty, let next = lines[(n + 1)...].first(where: { !trimmed(String($0)).isEmpty }) {
          rest = String(next)  // "The answer is\n18"
        }
        found.append((n, line.distance(from: line.startIndex, to: r.upperBound), rest))
      }
      let head = line.drop(while: { $0 == " " || $0 == "\t" })
      // The dev data's samples end with "A: 18"; "A:" is case-sensitive to spare a line "a: ...".
      for label in ["A:", "Answer:", "Final answer:"] {
        guard let r = head.range(of: label, options: [.anchored, .caseInsensitive]) else { continue }
        if label == "A:" && !head.hasPrefix("A:") { continue }
        found.append((n, line.distance(from: line.startIndex, to: r.upperBound), String(head[r.upperBound...])))
      }
    }
    for candidate in found.sorted(by: { ($0.line, $0.column) > ($1.line, $1.column) }) {
      let content = trimmed(candidate.content)
      if !content.isEmpty { return content }
    }
    return nil
  }

  /// The last number in the text: `-12`, `3.5`, `.5`, `1,234,567`, `3/4`. A minus counts as a sign only
  /// when it does not follow a digit or letter (`16-3` ends in 3, not -3).
  public static func lastNumber(in text: String) -> String? {
    let b = Array(text.utf8)
    var last: Range<Int>?
    var i = 0
    while i < b.count {
      let startsDecimal = b[i] == ascii(".") && i + 1 < b.count && isDigit(b[i + 1])
        && (i == 0 || !isDigit(b[i - 1]))
      guard isDigit(b[i]) || startsDecimal else {
        i += 1
        continue
      }
      var start = i
      var j = i
      while j < b.count, isDigit(b[j]) { j += 1 }
      // Thousands groups: a comma and exactly three digits.
      while j + 3 < b.count, b[j] == ascii(","), isDigit(b[j + 1]), isDigit(b[j + 2]), isDigit(b[j + 3]),
            j + 4 == b.count || !isDigit(b[j + 4]) {
        j += 4
      }
      if j + 1 < b.count, b[j] == ascii("."), isDigit(b[j + 1]) {
        j += 1
        while j < b.count, isDigit(b[j]) { j += 1 }
      }
      if j + 1 < b.count, b[j] == ascii("/"), isDigit(b[j + 1]) {
        j += 1
        while j < b.count, isDigit(b[j]) { j += 1 }
      }
      if start > 0, b[start - 1] == ascii("-"), start == 1 || !isAlnum(b[start - 2]) { start -= 1 }
      last = start..<j
      i = j
    }
    return last.map { String(decoding: b[$0], as: UTF8.self) }
  }

  // MARK: - Byte helpers

  @inline(__always) static func ascii(_ c: Unicode.Scalar) -> UInt8 { UInt8(c.value) }
  @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
  @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
  @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
  @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D }

  /// Index of the brace closing the one at `open`, or nil when it never closes.
  static func matchingBrace(_ b: [UInt8], open: Int) -> Int? {
    var depth = 0
    var i = open
    while i < b.count {
      if b[i] == ascii("\\"), i + 1 < b.count, b[i + 1] == ascii("{") || b[i + 1] == ascii("}") {
        i += 2  // an escaped brace \{ or \} does not nest
        continue
      }
      if b[i] == ascii("{") { depth += 1 }
      if b[i] == ascii("}") {
        depth -= 1
        if depth == 0 { return i }
      }
      i += 1
    }
    return nil
  }

  static func firstIndex(of pattern: [UInt8], in b: [UInt8], from: Int) -> Int? {
    guard !pattern.isEmpty, b.count >= pattern.count, from <= b.count - pattern.count else { return nil }
    var i = from
    while i <= b.count - pattern.count {
      if b[i] == pattern[0] && b[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
      i += 1
    }
    return nil
  }

  static func lastIndex(of pattern: [UInt8], in b: [UInt8], before end: Int) -> Int? {
    var i = end - pattern.count
    while i >= 0 {
      if b[i] == pattern[0] && b[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
      i -= 1
    }
    return nil
  }

  static func trimmed(_ s: String) -> String {
    var sub = Substring(s)
    while let c = sub.first, c.isWhitespace { sub.removeFirst() }
    while let c = sub.last, c.isWhitespace { sub.removeLast() }
    return String(sub)
  }
}
