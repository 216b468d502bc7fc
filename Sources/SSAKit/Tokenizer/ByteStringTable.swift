#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open-addressing hash table from byte strings to a pair of 32-bit values, with every key stored in
/// one byte arena: no String, no per-key allocation. The vocabulary (bytes -> token id) and the word
/// cache (bytes -> a run of ids) are both one of these.
struct ByteStringTable {
  struct Entry {
    var hash: UInt64
    var keyStart: UInt32
    var keyCount: UInt32
    var a: UInt32
    var b: UInt32
  }

  private(set) var entries: [Entry] = []
  private(set) var keys: [UInt8] = []
  /// Entry index + 1 per slot, 0 for empty; the capacity is a power of two at most half full.
  private var slots: [UInt32]
  private var mask: Int

  init(capacity: Int = 16) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = [UInt32](repeating: 0, count: size)
    mask = size - 1
  }

  var count: Int { entries.count }
  var keyBytes: Int { keys.count }

  /// The values stored for a key.
  @inline(__always)
  func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> (UInt32, UInt32)? {
    slots.withUnsafeBufferPointer { slots in
      entries.withUnsafeBufferPointer { entries in
        keys.withUnsafeBufferPointer { keys in
          var i = Int(truncatingIfNeeded: h) & mask
          while true {
            let s = slots[i]
            if s == 0 { return nil }
            let e = entries[Int(s) - 1]
            if e.hash == h && Int(e.keyCount) == n
              && (n == 0 || memcmp(keys.baseAddress! + Int(e.keyStart), p, n) == 0) {
              return (e.a, e.b)
            }
            i = (i + 1) & mask
          }
        }
      }
    }
  }

  func find(_ bytes: [UInt8]) -> (UInt32, UInt32)? {
    bytes.withUnsafeBufferPointer { b in
      let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
      return find(p, b.count, hash: ByteHash.hash(p, b.count))
    }
  }

  /// Insert a key that is not in the table yet.
  mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, _ a: UInt32, _ b: UInt32) {
    if (entries.count + 1) * 2 > slots.count { grow() }
    entries.append(Entry(hash: h, keyStart: UInt32(keys.count), keyCount: UInt32(n), a: a, b: b))
    keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    place(entries.count - 1)
  }

  mutating func insert(_ bytes: [UInt8], _ a: UInt32, _ b: UInt32 = 0) {
    bytes.withUnsafeBufferPointer { buf in
      let p = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
      insert(p, buf.count, hash: ByteHash.hash(p, buf.count), a, b)
    }
  }

  mutating func removeAll() {
    entries.removeAll(keepingCapacity: true)
    keys.removeAll(keepingCapacity: true)
    for i in slots.indices { slots[i] = 0 }
  }

  private mutating func place(_ index: Int) {
    let h = entries[index].hash
    slots.withUnsafeMutableBufferPointer { slots in
      var i = Int(truncatingIfNeeded: h) & mask
      while slots[i] != 0 { i = (i + 1) & mask }
      slots[i] = UInt32(index + 1)
    }
  }

  private mutating func grow() {
    slots = [UInt32](repeating: 0, count: slots.count * 2)
    mask = slots.count - 1
    for i in entries.indices { place(i) }
  }
}
