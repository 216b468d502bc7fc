/// Strict UTF-8 checking (no overlong forms, no surrogates, nothing above U+10FFFF), reporting where
/// the first bad byte is, which a decoder that substitutes U+FFFD cannot.
public enum UTF8Validation {
  /// Offset of the first byte that is not part of valid UTF-8, or nil when all of it is valid.
  public static func firstInvalidOffset(_ b: [UInt8]) -> Int? {
    var i = 0
    let n = b.count
    while i < n {
      let c = b[i]
      if c < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var lower: UInt8 = 0x80
      var upper: UInt8 = 0xBF
      switch c {
      case 0xC2...0xDF: length = 2
      case 0xE0: length = 3; lower = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: length = 3; upper = 0x9F
      case 0xF0: length = 4; lower = 0x90
      case 0xF1...0xF3: length = 4
      case 0xF4: length = 4; upper = 0x8F
      default: return i
      }
      guard i + length <= n else { return i }
      guard b[i + 1] >= lower, b[i + 1] <= upper else { return i }
      for j in 2..<length where b[i + j] < 0x80 || b[i + j] > 0xBF { return i }
      i += length
    }
    return nil
  }
}
