/// Converting byte-level token spellings to raw bytes without a per-token allocation.
enum TokenBytes {
  /// Append the bytes a byte-level spelling stands for; false (and nothing appended) when a character is
  /// outside the GPT-2 alphabet. The alphabet is U+0021...U+0143, so its UTF-8 is one or two bytes.
  @inline(__always)
  static func appendSpelled(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
    let table = ByteEncoder.byteOfScalar
    let start = out.count
    var i = 0
    let n = utf8.count
    while i < n {
      let b0 = utf8[i]
      var scalar: Int
      if b0 < 0x80 {
        scalar = Int(b0)
        i += 1
      } else if b0 & 0xE0 == 0xC0 && i + 1 < n {
        scalar = Int(b0 & 0x1F) << 6 | Int(utf8[i + 1] & 0x3F)
        i += 2
      } else {
        out.removeSubrange(start...)
        return false
      }
      guard scalar < table.count, table[scalar] >= 0 else {
        out.removeSubrange(start...)
        return false
      }
      out.append(UInt8(table[scalar]))
    }
    return true
  }

  /// HF ByteLevel decoding of one token: its spelled bytes, or its own UTF-8 if it is not spelled in the
  /// alphabet (tokenizers/src/pre_tokenizers/byte_level.rs `decode_chain`).
  static func appendDecoded(_ token: String, to out: inout [UInt8]) {
    var token = token
    token.withUTF8 { utf8 in
      if !appendSpelled(utf8, to: &out) { out.append(contentsOf: utf8) }
    }
  }
}
