/// GPT-2's reversible byte <-> character mapping (`bytes_to_unicode` in openai/gpt-2 encoder.py): the
/// printable Latin-1 bytes stand for themselves and the other 68 bytes are shifted to U+0100...U+0143,
/// so that every token of a byte-level vocabulary is printable text.
enum ByteEncoder {
  /// The character each byte is spelled with.
  static let scalarOfByte: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 256)
    var shifted: UInt32 = 256
    for b in 0..<256 {
      if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
        table[b] = UInt32(b)
      } else {
        table[b] = shifted
        shifted += 1
      }
    }
    return table
  }()

  /// The byte each character of the alphabet stands for, -1 for characters outside it.
  static let byteOfScalar: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for (b, s) in scalarOfByte.enumerated() { table[Int(s)] = Int16(b) }
    return table
  }()

  /// The bytes a byte-level token spells, or nil if it uses a character outside the alphabet.
  static func bytes(ofToken token: String) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(token.utf8.count)
    for s in token.unicodeScalars {
      guard s.value < 0x144 else { return nil }
      let b = byteOfScalar[Int(s.value)]
      guard b >= 0 else { return nil }
      out.append(UInt8(b))
    }
    return out
  }

  /// The byte-level spelling of raw bytes.
  static func token(ofBytes bytes: [UInt8]) -> String {
    var s = String.UnicodeScalarView()
    for b in bytes { s.append(Unicode.Scalar(scalarOfByte[Int(b)])!) }
    return String(s)
  }

  /// What HF's ByteLevel decoder emits for a token: the bytes it spells when every character is in the
  /// alphabet, else its own UTF-8 (tokenizers/src/pre_tokenizers/byte_level.rs, `decode_chain`).
  static func decodedBytes(ofToken token: String) -> [UInt8] {
    bytes(ofToken: token) ?? Array(token.utf8)
  }
}
