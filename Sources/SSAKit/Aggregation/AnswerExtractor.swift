#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Finds the final answer a solution states, as written (normalization is `Answer`'s job).
///
/// In the spirit of the MATH-style graders of the paper's evaluation code (Qwen2.5-Math's parser):
/// the last `\boxed{...}` (or `\fbox{...}`) wins; else the last of the closing phrases `#### x`,
/// `The answer is x`, a line `A: x` (the dev data's form) or `Answer: x`; else the last number.
/// GSM8K calculator annotations `<<16-3=13>>` are removed first, so they never become the answer.
public enum AnswerExtractor {
  /// The final answer of a solution, or nil when it states none (no marker and no number).
  /// Works on the UTF-8 bytes with C string search, so a sample of many megabytes stays fast.
  public static func finalAnswer(in solution: String) -> String? {
    let text = removingCalculatorAnnotations(Array(solution.utf8))
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
    String(decoding: removingCalculatorAnnotations(Array(text.utf8)), as: UTF8.self)
  }

  static func removingCalculatorAnnotations(_ b: [UInt8]) -> [UInt8] {
    guard var i = firstIndex(of: Array("<<".utf8), in: b, from: 0) else { return b }
    var out = Array(b[..<i])
    out.reserveCapacity(b.count)
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
    return out
  }

  /// Content of the last complete `\boxed{...}`/`\fbox{...}` (nested braces allowed), or of the brace-less
  /// form `\boxed 5`. An unclosed last box (truncated text) falls back to the one before it.
  public static func lastBoxed(in text: String) -> String? { lastBoxed(in: Array(text.utf8)) }

  /// The boxes are tried from the last. A box left open means every earlier box still open where it
  /// starts never closes either, so the search for a close stops there: the searches together read the
  /// text once, where searching each to the end took time quadratic in the count of unclosed boxes.
  static func lastBoxed(in b: [UInt8]) -> String? {
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
    var unclosedFrom = b.count  // the brace of the earliest box found unclosed so far
    for start in candidates.sorted(by: >) {
      var i = start
      while i < b.count, b[i] == ascii(" ") { i += 1 }
      guard i < b.count else { continue }
      if b[i] == ascii("{") {
        if let close = matchingBrace(b, open: i, before: unclosedFrom) {
          return trimmed(String(decoding: b[(i + 1)..<close], as: UTF8.self))
        }
        unclosedFrom = i
      } else if i > start {
        var j = i
        while j < b.count, b[j] != ascii("$"), !isSpace(b[j]) { j += 1 }
        if j > i { return String(decoding: b[i..<j], as: UTF8.self) }
      }
    }
    return nil
  }

  /// The text after the last closing phrase: `#### x`, `... answer is x` (any case), or a line `A: x`,
  /// `Answer: x`, `Final answer: x`. Empty phrases are skipped in favour of earlier ones.
  static func lastMarkedAnswer(in b: [UInt8]) -> String? {
    var found: [(position: Int, content: Range<Int>)] = []
    let lines = lineRanges(b)
    func nonEmpty(_ r: Range<Int>) -> Bool { r.contains { !isSpace(b[$0]) } }
    for (n, line) in lines.enumerated() {
      if let at = lastIndex(of: Array("####".utf8), in: b, in: line) {
        found.append((at + 4, (at + 4)..<line.upperBound))
      }
      if let at = lastAnswerIs(in: b, line: line) {
        var start = at + 9
        while start < line.upperBound, isSpace(b[start]) { start += 1 }
        if start < line.upperBound, b[start] == ascii(":") { start += 1 }
        let end = firstIndex(of: Array(". ".utf8), in: b, from: start, to: line.upperBound) ?? line.upperBound
        var content = start..<max(start, end)
        if !nonEmpty(content), let next = lines[(n + 1)...].first(where: nonEmpty) {
          content = next  // "The answer is\n18"
        }
        found.append((at + 9, content))
      }
      var head = line.lowerBound
      while head < line.upperBound, b[head] == ascii(" ") || b[head] == ascii("\t") { head += 1 }
      // The dev data's samples end with "A: 18"; "A:" is case-sensitive to spare a line "a: ...".
      for (label, anyCase) in [("A:", false), ("answer:", true), ("final answer:", true)] {
        let l = Array(label.utf8)
        if head + l.count <= line.upperBound, matches(l, in: b, at: head, anyCase: anyCase) {
          found.append((head + l.count, (head + l.count)..<line.upperBound))
        }
      }
    }
    for candidate in found.sorted(by: { $0.position > $1.position }) {
      let content = trimmed(String(decoding: b[candidate.content], as: UTF8.self))
      if !content.isEmpty { return content }
    }
    return nil
  }

  /// Start of the last "answer is", in any case, inside `line`. Found through "swer " or "SWER " with
  /// the C search, then checked in full, so no lowercase copy of a huge text is made.
  static func lastAnswerIs(in b: [UInt8], line: Range<Int>) -> Int? {
    let phrase = Array("answer is".utf8)
    var best: Int?
    for probe in ["swer ", "SWER "] {
      var from = line.lowerBound
      while let at = firstIndex(of: Array(probe.utf8), in: b, from: from, to: line.upperBound) {
        from = at + 1
        let start = at - 2
        if start >= line.lowerBound, start + phrase.count <= line.upperBound,
           matches(phrase, in: b, at: start, anyCase: true), start > (best ?? -1) {
          best = start
        }
      }
    }
    return best
  }

  /// Whether `b` holds `pattern` (lowercase ASCII when `anyCase`) at `at`.
  static func matches(_ pattern: [UInt8], in b: [UInt8], at: Int, anyCase: Bool) -> Bool {
    guard at >= 0, at + pattern.count <= b.count else { return false }
    for (k, c) in pattern.enumerated() {
      let x = b[at + k]
      if x == c { continue }
      if anyCase, isLetter(c), x | 0x20 == c { continue }
      return false
    }
    return true
  }

  /// The lines of `b` (without their newline or a carriage return before it).
  static func lineRanges(_ b: [UInt8]) -> [Range<Int>] {
    var lines: [Range<Int>] = []
    var start = 0
    b.withUnsafeBytes { raw in
      while start <= b.count {
        var end = b.count
        if start < b.count, let p = memchr(raw.baseAddress! + start, 0x0A, b.count - start) {
          end = raw.baseAddress!.distance(to: UnsafeRawPointer(p))
        }
        let next = end + 1
        if end > start, b[end - 1] == 0x0D { end -= 1 }
        lines.append(start..<end)
        start = next
      }
    }
    return lines
  }

  /// The last number in the text: `-12`, `3.5`, `.5`, `1,234,567`, `3/4`. A minus counts as a sign only
  /// when it does not follow a digit or letter (`16-3` ends in 3, not -3).
  public static func lastNumber(in text: String) -> String? { lastNumber(in: Array(text.utf8)) }

  static func lastNumber(in b: [UInt8]) -> String? {
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

  /// Whether `b` holds an escaped brace `\{` or `\}` at `i`, which does not nest.
  @inline(__always) static func isEscapedBrace(_ b: [UInt8], at i: Int) -> Bool {
    b[i] == ascii("\\") && i + 1 < b.count && (b[i + 1] == ascii("{") || b[i + 1] == ascii("}"))
  }

  /// Index of the brace closing the one at `open`, or nil when it does not close before `end` (the
  /// text's end by default). Reads on to the close: see `BraceMatches` to ask about many braces.
  static func matchingBrace(_ b: [UInt8], open: Int, before end: Int? = nil) -> Int? {
    let end = min(end ?? b.count, b.count)
    var depth = 0
    var i = open
    while i < end {
      if isEscapedBrace(b, at: i) {
        i += 2
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

  /// First occurrence of `pattern` in `b[from..<to]` (`to` defaults to the end): `memchr` for the
  /// first byte, `memcmp` for the rest (Glibc's module does not export `memmem`).
  static func firstIndex(of pattern: [UInt8], in b: [UInt8], from: Int, to: Int? = nil) -> Int? {
    let end = min(to ?? b.count, b.count)
    guard !pattern.isEmpty, from >= 0, end - from >= pattern.count else { return nil }
    return b.withUnsafeBytes { raw in
      pattern.withUnsafeBytes { p -> Int? in
        let base = raw.baseAddress!
        var i = from
        let last = end - pattern.count  // the last start that fits
        while i <= last {
          guard let hit = memchr(base + i, Int32(pattern[0]), last - i + 1) else { return nil }
          let at = base.distance(to: UnsafeRawPointer(hit))
          if memcmp(base + at, p.baseAddress!, p.count) == 0 { return at }
          i = at + 1
        }
        return nil
      }
    }
  }

  /// Last occurrence of `pattern` that ends at or before `end`.
  static func lastIndex(of pattern: [UInt8], in b: [UInt8], before end: Int) -> Int? {
    lastIndex(of: pattern, in: b, in: 0..<end)
  }

  /// Last occurrence of `pattern` lying wholly inside `range`.
  static func lastIndex(of pattern: [UInt8], in b: [UInt8], in range: Range<Int>) -> Int? {
    var last: Int?
    var from = range.lowerBound
    while let at = firstIndex(of: pattern, in: b, from: from, to: range.upperBound) {
      last = at
      from = at + 1
    }
    return last
  }

  static func trimmed(_ s: String) -> String { String(trimmed(Substring(s))) }

  /// Whitespace characters removed at both ends, without copying: callers that trim again and again
  /// (`AnswerNormalizer.trimmingEnds`) would otherwise copy the text each time.
  static func trimmed(_ s: Substring) -> Substring {
    var sub = s
    while let c = sub.first, c.isWhitespace { sub.removeFirst() }
    while let c = sub.last, c.isWhitespace { sub.removeLast() }
    return sub
  }
}
