/// A binary min-heap of UInt64 in caller-provided storage. BPE on a word of n symbols pushes at most
/// n - 1 initial entries and two per merge (at most n - 1 merges), so 3n slots always suffice.
struct MinHeap {
  let storage: UnsafeMutablePointer<UInt64>
  var count = 0

  @inline(__always)
  mutating func push(_ v: UInt64) {
    var i = count
    count += 1
    while i > 0 {
      let parent = (i - 1) >> 1
      if storage[parent] <= v { break }
      storage[i] = storage[parent]
      i = parent
    }
    storage[i] = v
  }

  @inline(__always)
  mutating func pop() -> UInt64? {
    guard count > 0 else { return nil }
    let top = storage[0]
    count -= 1
    if count > 0 {
      let v = storage[count]
      var i = 0
      while true {
        let l = 2 * i + 1
        if l >= count { break }
        let r = l + 1
        let c = (r < count && storage[r] < storage[l]) ? r : l
        if v <= storage[c] { break }
        storage[i] = storage[c]
        i = c
      }
      storage[i] = v
    }
    return top
  }
}
