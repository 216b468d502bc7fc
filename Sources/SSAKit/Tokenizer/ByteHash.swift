/// A fast 64-bit hash of a short byte string: eight bytes at a time, multiply-xorshift mixing. Not
/// cryptographic; the tables that use it store the full key and compare it on every hit.
enum ByteHash {
  @inline(__always)
  static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
      h = mix(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      i += 8
    }
    if i < n {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < n {
        tail |= UInt64(p[i]) << shift
        shift += 8
        i += 1
      }
      h = mix(h ^ tail)
    }
    return h
  }

  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var h = x &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 31
    h = h &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 29)
  }
}
