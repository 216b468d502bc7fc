/// Where UTF-8 that may end in the middle of a character can be cut.
enum UTF8Boundary {
  /// The length of the longest prefix that does not end inside a character that later bytes could
  /// still complete. What follows it is at most three bytes: a lead byte and valid continuations.
  /// Invalid bytes are not held back: they decode to U+FFFD now as they would later.
  static func completePrefix(_ bytes: [UInt8]) -> Int {
    let n = bytes.count
    var i = n - 1
    // Find the last non-continuation byte within the last four.
    while i >= 0 && i >= n - 4 && bytes[i] & 0xC0 == 0x80 { i -= 1 }
    guard i >= 0, i >= n - 4 else { return n }
    let lead = bytes[i]
    let needed: Int
    switch lead {
    case 0xC2...0xDF: needed = 2
    case 0xE0...0xEF: needed = 3
    case 0xF0...0xF4: needed = 4
    default: return n
    }
    let have = n - i
    guard have < needed else { return n }
    // The second byte's range depends on the lead (Unicode Table 3-7); a bad one makes it invalid now.
    if have >= 2 {
      let second = bytes[i + 1]
      let ok: Bool
      switch lead {
      case 0xE0: ok = (0xA0...0xBF).contains(second)
      case 0xED: ok = (0x80...0x9F).contains(second)
      case 0xF0: ok = (0x90...0xBF).contains(second)
      case 0xF4: ok = (0x80...0x8F).contains(second)
      default: ok = true
      }
      if !ok { return n }
    }
    return i
  }
}
