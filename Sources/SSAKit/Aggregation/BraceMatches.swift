/// The closing brace of every opening brace of a text, found in one pass over its UTF-8 bytes.
///
/// For callers that ask about many braces of one text: `AnswerExtractor.matchingBrace` reads on to the
/// close, so asking it about each of n nested braces would read the text n times. The rules are the
/// same (an escaped `\{` or `\}` does not nest), and so are the answers for any brace that does not
/// follow a backslash: the scan from the start reaches such a brace just as a scan from the brace does.
struct BraceMatches {
  /// `closes[i]`: the index of the brace closing the `{` at `i`; -1 when it never closes or is no brace.
  private var closes: [Int]

  init(_ b: [UInt8]) {
    closes = [Int](repeating: -1, count: b.count)
    var open: [Int] = []  // the braces still open, innermost last
    var i = 0
    while i < b.count {
      if AnswerExtractor.isEscapedBrace(b, at: i) {
        i += 2
        continue
      }
      if b[i] == UInt8(ascii: "{") {
        open.append(i)
      } else if b[i] == UInt8(ascii: "}"), let at = open.popLast() {
        closes[at] = i
      }
      i += 1
    }
  }

  /// Index of the brace closing the one at `open`, or nil when it never closes.
  subscript(open: Int) -> Int? {
    closes[open] < 0 ? nil : closes[open]
  }
}
