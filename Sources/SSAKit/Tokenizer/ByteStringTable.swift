#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open-addressing hash table from byte strings to a pair of 32-bit values, with the keys' bytes in
/// one arena: no String, no per-key allocation. The vocabulary (spelling -> token id) and the word cache
/// (word -> a run of ids) are both one of these.
///
/// Each slot holds the key's first eight bytes, so a lookup of a key of up to eight bytes (most tokens
/// and words) touches one slot and nothing else: one cache miss.
struct ByteStringTable {
  struct Slot {
    /// The first eight bytes of the key, zero-padded.
    var prefix: UInt64
    var keyStart: UInt32
    /// `Slot.empty` marks an empty slot.
    var keyCount: UInt32
    var a: UInt32
    var b: UInt32
  }

  static let empty = UInt32.max

  private var slots: [Slot]
  private var keys: [UInt8] = []
  private var mask: Int
  private(set) var count = 0

  init(capacity: Int = 16) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = [Slot](repeating: Slot(prefix: 0, keyStart: 0, keyCount: ByteStringTable.empty, a: 0, b: 0), count: size)
    mask = size - 1
  }

  var keyBytes: Int { keys.count }

  @inline(__always)
  static func prefix(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    if n >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) }
    var v: UInt64 = 0
    for i in 0..<n { v |= UInt64(p[i]) << (8 * UInt64(i)) }
    return v
  }

  /// The values stored for a key whose hash is `h` (`ByteHash.hash`).
  @inline(__always)
  func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> (UInt32, UInt32)? {
    let prefix = ByteStringTable.prefix(p, n)
    return slots.withUnsafeBufferPointer { slots in
      var i = Int(truncatingIfNeeded: h) & mask
      while true {
        let s = slots[i]
        if s.keyCount == ByteStringTable.empty { return nil }
        if Int(s.keyCount) == n && s.prefix == prefix
          && (n <= 8 || keys.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(s.keyStart) + 8, p + 8, n - 8) } == 0) {
          return (s.a, s.b)
        }
        i = (i + 1) & mask
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
    if (count + 1) * 2 > slots.count { grow() }
    let slot = Slot(prefix: ByteStringTable.prefix(p, n), keyStart: UInt32(keys.count), keyCount: UInt32(n), a: a, b: b)
    keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    place(slot, hash: h)
    count += 1
  }

  /// Insert unless the key is there already; false if it was.
  @discardableResult
  mutating func insertIfAbsent(_ p: UnsafePointer<UInt8>, _ n: Int, _ a: UInt32, _ b: UInt32 = 0) -> Bool {
    let h = ByteHash.hash(p, n)
    if find(p, n, hash: h) != nil { return false }
    insert(p, n, hash: h, a, b)
    return true
  }

  mutating func insert(_ bytes: [UInt8], _ a: UInt32, _ b: UInt32 = 0) {
    bytes.withUnsafeBufferPointer { buf in
      let p = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
      insert(p, buf.count, hash: ByteHash.hash(p, buf.count), a, b)
    }
  }

  mutating func removeAll() {
    keys.removeAll(keepingCapacity: true)
    for i in slots.indices { slots[i].keyCount = ByteStringTable.empty }
    count = 0
  }

  private mutating func place(_ slot: Slot, hash h: UInt64) {
    let mask = self.mask
    slots.withUnsafeMutableBufferPointer { slots in
      var i = Int(truncatingIfNeeded: h) & mask
      while slots[i].keyCount != ByteStringTable.empty { i = (i + 1) & mask }
      slots[i] = slot
    }
  }

  private mutating func grow() {
    let old = slots
    slots = [Slot](repeating: Slot(prefix: 0, keyStart: 0, keyCount: ByteStringTable.empty, a: 0, b: 0), count: old.count * 2)
    mask = slots.count - 1
    keys.withUnsafeBufferPointer { keys in
      for s in old where s.keyCount != ByteStringTable.empty {
        let p = keys.baseAddress.map { $0 + Int(s.keyStart) } ?? UnsafePointer(bitPattern: 1)!
        place(s, hash: ByteHash.hash(p, Int(s.keyCount)))
      }
    }
  }
}
