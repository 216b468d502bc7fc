@testable import SSAKit

/// The first, simple versions of the answer steps that now take linear time, kept as references for
/// them (as a kernel keeps its scalar reference). Each takes time quadratic in the text on adversarial
/// input: it searches every unclosed box to the end, or copies the text once per command or layer.
enum AnswerReference {
  /// `AnswerExtractor.lastBoxed`: each box, from the last, searched for its close to the end of the text.
  static func lastBoxed(in text: String) -> String? {
    let b = Array(text.utf8)
    var candidates: [Int] = []
    for name in ["\\boxed", "\\fbox"] {
      let pattern = Array(name.utf8)
      var from = 0
      while let at = AnswerExtractor.firstIndex(of: pattern, in: b, from: from) {
        let after = at + pattern.count
        if after >= b.count || !AnswerExtractor.isLetter(b[after]) { candidates.append(after) }
        from = at + 1
      }
    }
    for start in candidates.sorted(by: >) {
      var i = start
      while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
      guard i < b.count else { continue }
      if b[i] == UInt8(ascii: "{") {
        if let close = matchingBrace(b, open: i) {
          return AnswerExtractor.trimmed(String(decoding: b[(i + 1)..<close], as: UTF8.self))
        }
      } else if i > start {
        var j = i
        while j < b.count, b[j] != UInt8(ascii: "$"), !AnswerExtractor.isSpace(b[j]) { j += 1 }
        if j > i { return String(decoding: b[i..<j], as: UTF8.self) }
      }
    }
    return nil
  }

  /// `AnswerNormalizer.unwrappingTextCommands`: each command cut out of the bytes in turn.
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
         let close = matchingBrace(b, open: open) {
        b.replaceSubrange(i...close, with: b[(open + 1)..<close])
        continue
      }
      i = max(j, i + 1)
    }
    return String(decoding: b, as: UTF8.self)
  }

  /// `AnswerNormalizer.unwrappingBraces`: a new string per layer, its braces matched from scratch.
  static func unwrappingBraces(_ s: String) -> String {
    var t = s
    while t.hasPrefix("{") {
      let b = Array(t.utf8)
      guard matchingBrace(b, open: 0) == b.count - 1 else { break }
      t = AnswerExtractor.trimmed(String(decoding: b[1..<(b.count - 1)], as: UTF8.self))
    }
    return t
  }

  /// `AnswerNormalizer.trimmingEnds`: a new string per full stop.
  static func trimmingEnds(_ s: String) -> String {
    var t = AnswerExtractor.trimmed(s)
    while t.hasSuffix(".") {
      t.removeLast()
      t = AnswerExtractor.trimmed(t)
    }
    return t
  }

  /// Index of the brace closing the one at `open`, or nil when it never closes; `\{` and `\}` do not nest.
  static func matchingBrace(_ b: [UInt8], open: Int) -> Int? {
    var depth = 0
    var i = open
    while i < b.count {
      if b[i] == UInt8(ascii: "\\"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "{") || b[i + 1] == UInt8(ascii: "}") {
        i += 2
        continue
      }
      if b[i] == UInt8(ascii: "{") { depth += 1 }
      if b[i] == UInt8(ascii: "}") {
        depth -= 1
        if depth == 0 { return i }
      }
      i += 1
    }
    return nil
  }
}
