/// Qwen2's pre-tokenizer split, written out by hand over UTF-8 bytes. The reference is the regex
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// applied with `find_iter` (HF `Split`, behavior Isolated). Every scalar can start a match, so the pieces
/// tile the text and each one starts where the last ended; `pieceEnd` returns where the match starting
/// at a position ends, trying the alternatives in order as the backtracking engine does. The classes
/// \p{L}, \p{N} and \s are Oniguruma's, measured from the reference (`UnicodeTable`).
struct Qwen2PreTokenizer {
  let classes: UnsafePointer<UInt8>

  @inline(__always)
  private func classify(_ scalar: UInt32) -> UInt8 { classes[Int(scalar)] & UnicodeTable.classMask }

  /// The end of the piece that starts at `start` in `p[0..<end]`.
  @inline(__always)
  func pieceEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
    let (c, n) = UTF8Scalar.decode(p, start)
    let k = classify(c)
    let next = start + n

    // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d). Under Oniguruma's case folding "s" also matches U+017F (long s).
    if c == 0x27 && next < end {
      let (c2, n2) = UTF8Scalar.decode(p, next)
      switch c2 {
      case 0x73, 0x53, 0x17F, 0x74, 0x54, 0x6D, 0x4D, 0x64, 0x44:
        return next + n2
      case 0x72, 0x52, 0x76, 0x56:
        if next + 1 < end && p[next + 1] | 0x20 == 0x65 { return next + 2 }
      case 0x6C, 0x4C:
        if next + 1 < end && p[next + 1] | 0x20 == 0x6C { return next + 2 }
      default:
        break
      }
    }
    // 2. [^\r\n\p{L}\p{N}]?\p{L}+
    if k == UnicodeTable.letter { return skip(UnicodeTable.letter, p, next, end) }
    if k != UnicodeTable.number && c != 0x0A && c != 0x0D && next < end {
      let (c2, n2) = UTF8Scalar.decode(p, next)
      if classify(c2) == UnicodeTable.letter { return skip(UnicodeTable.letter, p, next + n2, end) }
    }
    // 3. \p{N}: one digit at a time.
    if k == UnicodeTable.number { return next }
    // 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
    if k == 0 { return skipNewlines(p, skip(0, p, next, end), end) }
    if c == 0x20 && next < end {
      let (c2, n2) = UTF8Scalar.decode(p, next)
      if classify(c2) == 0 { return skipNewlines(p, skip(0, p, next + n2, end), end) }
    }
    // 5-7. A whitespace run: \s*[\r\n]+ ends after its last newline; else \s+(?!\S) leaves the last
    // space for the next piece when a non-space follows; else \s+ takes the single space.
    var i = start
    var lastStart = start
    var afterNewline = -1
    while i < end {
      let (s, l) = UTF8Scalar.decode(p, i)
      if classify(s) != UnicodeTable.space { break }
      if s == 0x0A || s == 0x0D { afterNewline = i + l }
      lastStart = i
      i += l
    }
    if afterNewline >= 0 { return afterNewline }
    if i == end || lastStart == start { return i }
    return lastStart
  }

  /// Past the scalars of class `k` from `i`.
  @inline(__always)
  private func skip(_ k: UInt8, _ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
    var i = from
    while i < end {
      let b = p[i]
      if b < 0x80 {
        if classes[Int(b)] & UnicodeTable.classMask != k { return i }
        i += 1
      } else {
        let (s, l) = UTF8Scalar.decode(p, i)
        if classify(s) != k { return i }
        i += l
      }
    }
    return i
  }

  @inline(__always)
  private func skipNewlines(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
    var i = from
    while i < end && (p[i] == 0x0A || p[i] == 0x0D) { i += 1 }
    return i
  }
}
