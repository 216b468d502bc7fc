#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds added tokens (`<|im_start|>`, `<tool_call>`, ...) in raw text, leftmost-longest and without
/// overlap, as HF's AddedVocabulary does with its Aho-Corasick automaton. Control tokens count only when
/// special tokens are asked for; otherwise a control token's text is skipped over and stays plain text
/// (HF `encode_special_tokens`), while user-defined tokens still match.
struct AddedTokenMatcher {
  struct Token {
    var bytes: [UInt8]
    var id: Int
    var isControl: Bool
  }

  let tokens: [Token]
  /// Indices into `tokens` by first byte, longest first.
  private let byFirstByte: [[Int]]

  init(_ tokens: [Token]) {
    self.tokens = tokens.filter { !$0.bytes.isEmpty }
    var table = [[Int]](repeating: [], count: 256)
    for (i, t) in self.tokens.enumerated() { table[Int(t.bytes[0])].append(i) }
    let all = self.tokens
    byFirstByte = table.map { list in list.sorted { all[$0].bytes.count > all[$1].bytes.count } }
  }

  var isEmpty: Bool { tokens.isEmpty }

  /// The next match at or after `from`: its byte range and token id.
  func nextMatch(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int, special: Bool) -> (start: Int, end: Int, id: Int)? {
    var i = from
    while i < n {
      let candidates = byFirstByte[Int(p[i])]
      if candidates.isEmpty {
        i += 1
        continue
      }
      var matched = -1
      for c in candidates {
        let t = tokens[c]
        let length = t.bytes.count
        if i + length <= n && t.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p + i, length) }) == 0 {
          matched = c
          break
        }
      }
      if matched < 0 {
        i += 1
        continue
      }
      let t = tokens[matched]
      if t.isControl && !special {
        i += t.bytes.count
        continue
      }
      return (i, i + t.bytes.count, t.id)
    }
    return nil
  }
}
