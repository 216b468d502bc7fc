/// Byte-level BPE on integer ids: a word's bytes start as their single-byte tokens, then the best-ranked
/// adjacent pair is merged until no pair has a merge (HF tokenizers models/bpe/word.rs `merge_all`:
/// lowest rank first, leftmost first among equal ranks). Results are cached per word.
///
/// A value type on purpose: the tokenizer keeps one and mutates it under its lock, so the hot loop
/// works on plain memory without per-access exclusivity checks.
struct BPEModel {
  /// Words up to this many bytes merge with a linear scan over the pair ranks; longer ones (long runs of
  /// spaces or letters) use a heap, so no word costs quadratic time.
  static let linearLimit = 64
  /// Longer words are not cached: they are rare and would crowd out the common ones.
  static let maxCachedLength = 96
  /// The cache is emptied when it holds this many words.
  static let maxCachedWords = 1 << 18

  let byteIDs: [UInt32]
  let merges: MergeTable

  private var cache = ByteStringTable(capacity: 1 << 12)
  private var cachedIDs: [UInt32] = []
  // Scratch for one word, grown to the longest word seen.
  private var symbols: [UInt32] = []
  private var ranks: [UInt64] = []
  private var links: [Int32] = []
  private var heap: [UInt64] = []

  init(byteIDs: [UInt32], merges: MergeTable) {
    self.byteIDs = byteIDs
    self.merges = merges
  }

  /// Append the ids of one pre-tokenized word (raw bytes) to `out`.
  @inline(__always)
  mutating func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
    if n == 1 {
      out.append(Int(byteIDs[Int(p[0])]))
      return
    }
    let cacheable = n <= BPEModel.maxCachedLength
    var h: UInt64 = 0
    if cacheable {
      h = ByteHash.hash(p, n)
      if let (start, count) = cache.find(p, n, hash: h) {
        cachedIDs.withUnsafeBufferPointer { ids in
          for i in Int(start)..<Int(start + count) { out.append(Int(ids[i])) }
        }
        return
      }
    }
    let first = out.count
    if n <= BPEModel.linearLimit {
      mergeLinear(p, n, into: &out)
    } else {
      mergeWithHeap(p, n, into: &out)
    }
    if cacheable {
      if cache.count >= BPEModel.maxCachedWords {
        cache.removeAll()
        cachedIDs.removeAll(keepingCapacity: true)
      }
      let start = cachedIDs.count
      for i in first..<out.count { cachedIDs.append(UInt32(truncatingIfNeeded: out[i])) }
      cache.insert(p, n, hash: h, UInt32(start), UInt32(out.count - first))
    }
  }

  private mutating func reserveScratch(_ n: Int) {
    if symbols.count < n {
      symbols = [UInt32](repeating: 0, count: n)
      ranks = [UInt64](repeating: 0, count: n)
      links = [Int32](repeating: 0, count: 2 * n)
      heap = [UInt64](repeating: 0, count: 3 * n)
    }
  }

  /// Short words: keep the symbols and the rank of each adjacent pair in arrays; each step merges the
  /// pair of lowest rank (the leftmost on ties) and recomputes only its two neighbours.
  mutating func mergeLinear(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
    reserveScratch(n)
    let byteIDs = self.byteIDs
    merges.withView { m in
      symbols.withUnsafeMutableBufferPointer { sb in
        ranks.withUnsafeMutableBufferPointer { rb in
          let sym = sb.baseAddress!
          let rank = rb.baseAddress!
          for i in 0..<n { sym[i] = byteIDs[Int(p[i])] }
          var count = n
          for i in 0..<(count - 1) { rank[i] = m.lookup(sym[i], sym[i + 1]) }
          while count > 1 {
            var best = MergeTable.none
            var at = -1
            for i in 0..<(count - 1) where rank[i] < best {
              best = rank[i]
              at = i
            }
            if at < 0 { break }
            sym[at] = UInt32(truncatingIfNeeded: best)
            var j = at + 1
            while j < count - 1 {
              sym[j] = sym[j + 1]
              j += 1
            }
            j = at + 1
            while j < count - 2 {
              rank[j] = rank[j + 1]
              j += 1
            }
            count -= 1
            if at > 0 { rank[at - 1] = m.lookup(sym[at - 1], sym[at]) }
            if at < count - 1 { rank[at] = m.lookup(sym[at], sym[at + 1]) }
          }
          for i in 0..<count { out.append(Int(sym[i])) }
        }
      }
    }
  }

  /// Long words: a doubly linked list of symbols and a min-heap of candidate merges keyed by
  /// (rank, position); stale entries are skipped when popped, as in HF.
  mutating func mergeWithHeap(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
    reserveScratch(n)
    let byteIDs = self.byteIDs
    merges.withView { m in
      symbols.withUnsafeMutableBufferPointer { sb in
        links.withUnsafeMutableBufferPointer { lb in
          heap.withUnsafeMutableBufferPointer { hb in
            let sym = sb.baseAddress!
            let prev = lb.baseAddress!
            let next = lb.baseAddress! + n
            var heap = MinHeap(storage: hb.baseAddress!)
            for i in 0..<n {
              sym[i] = byteIDs[Int(p[i])]
              prev[i] = Int32(i - 1)
              next[i] = i + 1 < n ? Int32(i + 1) : -1
            }
            for i in 0..<(n - 1) {
              let v = m.lookup(sym[i], sym[i + 1])
              if v != MergeTable.none { heap.push(v & 0xFFFF_FFFF_0000_0000 | UInt64(i)) }
            }
            while let top = heap.pop() {
              let pos = Int(top & 0xFFFF_FFFF)
              let rank = top >> 32
              if sym[pos] == UInt32.max { continue }
              let right = Int(next[pos])
              if right < 0 { continue }
              let v = m.lookup(sym[pos], sym[right])
              if v == MergeTable.none || v >> 32 != rank { continue }
              sym[pos] = UInt32(truncatingIfNeeded: v)
              sym[right] = UInt32.max
              let after = next[right]
              next[pos] = after
              if after >= 0 { prev[Int(after)] = Int32(pos) }
              let before = Int(prev[pos])
              if before >= 0 {
                let w = m.lookup(sym[before], sym[pos])
                if w != MergeTable.none { heap.push(w & 0xFFFF_FFFF_0000_0000 | UInt64(before)) }
              }
              if after >= 0 {
                let w = m.lookup(sym[pos], sym[Int(after)])
                if w != MergeTable.none { heap.push(w & 0xFFFF_FFFF_0000_0000 | UInt64(pos)) }
              }
            }
            var i = 0
            while i >= 0 {
              out.append(Int(sym[i]))
              i = Int(next[i])
            }
          }
        }
      }
    }
  }
}
