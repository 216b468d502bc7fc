#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// 64-byte aligned memory (a cache line; what the SIMD kernels want). Release with `alignedFree`.
func alignedAllocate(_ bytes: Int) -> UnsafeMutableRawPointer {
  var p: UnsafeMutableRawPointer?
  guard posix_memalign(&p, 64, max(bytes, 64)) == 0, let p else {
    // Out of memory: there is no way to continue a forward pass without its buffers.
    fatalError("out of memory allocating \(bytes) bytes")
  }
  return p
}

func alignedFree(_ p: UnsafeMutableRawPointer) { free(p) }

