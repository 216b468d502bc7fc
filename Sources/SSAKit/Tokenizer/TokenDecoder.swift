/// The bytes each id decodes to, in one arena: normal tokens give the bytes their byte-level spelling
/// stands for, added tokens their text (HF ByteLevel decoder rule, see `ByteEncoder.decodedBytes`),
/// unused padding rows nothing (the HF tokenizer has no such ids).
struct TokenDecoder {
  private let bytes: [UInt8]
  private let offsets: [Int]
  private let isControl: [Bool]

  init(data: TokenizerData) {
    var bytes: [UInt8] = []
    var offsets: [Int] = [0]
    offsets.reserveCapacity(data.tokens.count + 1)
    bytes.reserveCapacity(data.tokens.count * 7)
    for (token, type) in zip(data.tokens, data.tokenTypes) {
      if type != .unused { TokenBytes.appendDecoded(token, to: &bytes) }
      offsets.append(bytes.count)
    }
    self.bytes = bytes
    self.offsets = offsets
    self.isControl = data.tokenTypes.map { $0 == .control }
  }

  var count: Int { offsets.count - 1 }

  /// Append the bytes of `id` to `out`; ids out of range are skipped, as HF skips unknown ids.
  @inline(__always)
  func append(_ id: Int, skipControl: Bool = false, to out: inout [UInt8]) {
    guard id >= 0, id < count else { return }
    if skipControl && isControl[id] { return }
    bytes.withUnsafeBufferPointer { b in
      out.append(contentsOf: UnsafeBufferPointer(rebasing: b[offsets[id]..<offsets[id + 1]]))
    }
  }
}
