import Foundation

/// Unicode NFC, the normalizer of Qwen2's tokenizer.json (`"normalizer": {"type": "NFC"}`).
///
/// Almost all text is already NFC, so the work is a quick check: a scalar that is not flagged
/// `nfcUnsafe` (it has NFC_Quick_Check=Yes, combining class 0, and never composes with what precedes it)
/// starts a segment that NFC cannot merge with anything before it. Only the segments containing flagged
/// scalars are normalized, by Foundation; the rest of the bytes are copied as they are.
struct NFCNormalizer {
  let classes: UnsafePointer<UInt8>

  /// The NFC form of `text`, or nil when it is already NFC.
  func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard let p = text.baseAddress else { return nil }
    let n = text.count
    var i = 0
    var segmentStart = 0
    var out: [UInt8]? = nil
    var copied = 0
    while i < n {
      let b = p[i]
      if b < 0x80 {
        segmentStart = i
        i += 1
        continue
      }
      let (scalar, length) = UTF8Scalar.decode(p, i)
      if classes[Int(scalar)] & UnicodeTable.nfcUnsafe == 0 {
        segmentStart = i
        i += length
        continue
      }
      // A flagged scalar: normalize from the segment's start to the next scalar that starts a segment.
      var end = i + length
      while end < n {
        if p[end] < 0x80 { break }
        let (s, l) = UTF8Scalar.decode(p, end)
        if classes[Int(s)] & UnicodeTable.nfcUnsafe == 0 { break }
        end += l
      }
      if out == nil {
        out = []
        out!.reserveCapacity(n + 16)
      }
      out!.append(contentsOf: UnsafeBufferPointer(start: p + copied, count: segmentStart - copied))
      let segment = String(decoding: UnsafeBufferPointer(start: p + segmentStart, count: end - segmentStart), as: UTF8.self)
      out!.append(contentsOf: segment.precomposedStringWithCanonicalMapping.utf8)
      copied = end
      segmentStart = end
      i = end
    }
    guard out != nil else { return nil }
    out!.append(contentsOf: UnsafeBufferPointer(start: p + copied, count: n - copied))
    return out
  }
}
