#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// 64-byte aligned memory (a cache line; what the SIMD kernels want). Release with `alignedFree`.
/// Buffers of `hugePageThreshold` bytes and more (weights, KV caches) start on a 2 MiB boundary and
/// ask for transparent huge pages: filling them then takes a fault per 2 MiB instead of per 4 KiB,
/// and the kernels streaming them miss the TLB less.
func alignedAllocate(_ bytes: Int) -> UnsafeMutableRawPointer {
  var p: UnsafeMutableRawPointer?
  let huge = bytes >= hugePageThreshold
  guard posix_memalign(&p, huge ? 2 << 20 : 64, max(bytes, 64)) == 0, let p else {
    // Out of memory: there is no way to continue a forward pass without its buffers.
    fatalError("out of memory allocating \(bytes) bytes")
  }
  #if canImport(Glibc)
  if huge { _ = madvise(p, bytes, MADV_HUGEPAGE) }
  #endif
  return p
}

let hugePageThreshold = 8 << 20

func alignedFree(_ p: UnsafeMutableRawPointer) { free(p) }

