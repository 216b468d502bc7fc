/// The encoding pipeline over UTF-8 bytes: added tokens are cut out of the raw text first; each stretch
/// between them is NFC-normalized, split by the pre-tokenizer and merged word by word by BPE
/// (HF tokenizers `encode`: AddedVocabulary, normalizer, pre-tokenizer, model).
struct TextEncoder {
  var bpe: BPEModel
  let added: AddedTokenMatcher
  let preTokenizer: Qwen2PreTokenizer
  let normalizer: NFCNormalizer

  mutating func encode(_ text: UnsafeBufferPointer<UInt8>, special: Bool, into out: inout [Int]) {
    guard let p = text.baseAddress, text.count > 0 else { return }
    let n = text.count
    var plainStart = 0
    var from = 0
    if !added.isEmpty {
      while let match = added.nextMatch(p, n, from: from, special: special) {
        encodePlain(UnsafeBufferPointer(start: p + plainStart, count: match.start - plainStart), into: &out)
        out.append(match.id)
        plainStart = match.end
        from = match.end
      }
    }
    encodePlain(UnsafeBufferPointer(start: p + plainStart, count: n - plainStart), into: &out)
  }

  private mutating func encodePlain(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
    guard text.count > 0 else { return }
    if let normalized = normalizer.normalize(text) {
      normalized.withUnsafeBufferPointer { splitAndMerge($0, into: &out) }
    } else {
      splitAndMerge(text, into: &out)
    }
  }

  private mutating func splitAndMerge(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
    guard let p = text.baseAddress else { return }
    let n = text.count
    var i = 0
    while i < n {
      let end = preTokenizer.pieceEnd(p, i, n)
      bpe.encodeWord(p + i, end - i, into: &out)
      i = end
    }
  }
}
