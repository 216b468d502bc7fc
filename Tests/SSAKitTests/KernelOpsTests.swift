import CKernels
import Foundation
import XCTest

/// The per-token operations against double-precision formulas (HF Qwen2's definitions).
final class KernelOpsTests: XCTestCase {
  override func tearDown() { ssa_set_threads(0) }

  func testRMSNorm() {
    var rng = KernelRandom(seed: 10)
    for (dim, n) in [(7, 1), (896, 3), (100, 40)] {
      let x = rng.floats(dim * n, scale: 4), w = rng.floats(dim)
      var out = [Float](repeating: 0, count: dim * n)
      ssa_rmsnorm(&out, x, w, Int64(dim), Int64(n), 1e-6)
      var inPlace = x
      inPlace.withUnsafeMutableBufferPointer { ssa_rmsnorm($0.baseAddress, $0.baseAddress, w, Int64(dim), Int64(n), 1e-6) }
      XCTAssertEqual(inPlace, out, "out may equal x")
      for t in 0..<n {
        let row = x[(t * dim)..<((t + 1) * dim)].map(Double.init)
        let inv = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(dim) + 1e-6).squareRoot()
        for i in 0..<dim {
          let exact = row[i] * inv * Double(w[i])
          XCTAssertEqual(Double(out[t * dim + i]), exact, accuracy: 1e-5 * max(1, abs(exact)), "dim \(dim) [\(t)][\(i)]")
        }
      }
    }
  }

  func testElementwise() {
    var rng = KernelRandom(seed: 11)
    let len = 1037
    let a = rng.floats(len, scale: 8), b = rng.floats(len)
    var sum = a
    ssa_add(&sum, b, Int64(len))
    XCTAssertEqual(sum, zip(a, b).map { $0 + $1 })
    var gate = a
    ssa_swiglu(&gate, b, Int64(len))
    for i in 0..<len {
      let g = Double(a[i]), exact = g / (1 + exp(-g)) * Double(b[i])
      XCTAssertEqual(Double(gate[i]), exact, accuracy: 1e-6 * max(1, abs(exact)))
    }
    // bias on 3 rows of 5 inside rows of 8
    var y = rng.floats(24)
    let before = y, bias = rng.floats(5)
    ssa_add_bias(&y, 8, bias, 5, 3)
    for t in 0..<3 {
      for i in 0..<8 { XCTAssertEqual(y[t * 8 + i], i < 5 ? before[t * 8 + i] + bias[i] : before[t * 8 + i]) }
    }
  }

  /// The row-parallel forms (long enough to split: 40 rows, 70,000 floats) give the serial bits:
  /// SwiGLU of every row of [gate | up] equals ssa_swiglu row by row, and nothing depends on the
  /// thread count.
  /// Every ISA's SwiGLU against the exact value, at lengths around the 8- and 16-lane steps; the
  /// x86 ones (8 lanes on AVX2, 16 on AVX-512 with the same operations per element) give the same bits.
  func testSwiGLUEveryISA() {
    let current = String(cString: ssa_kernel_isa())
    defer { _ = ssa_force_isa(current) }
    var rng = KernelRandom(seed: 12)
    for len in [1, 7, 8, 15, 16, 17, 31, 40, 1037] {
      let a = rng.floats(len, scale: 12), b = rng.floats(len)
      var bits: [String: [UInt32]] = [:]
      for isa in KernelSupport.isas {
        _ = ssa_force_isa(isa)
        var gate = a
        ssa_swiglu(&gate, b, Int64(len))
        for i in 0..<len {
          let g = Double(a[i]), exact = g / (1 + exp(-g)) * Double(b[i])
          XCTAssertEqual(Double(gate[i]), exact, accuracy: 1e-6 * max(1, abs(exact)), "\(isa) len \(len) [\(i)]")
        }
        bits[isa] = gate.map(\.bitPattern)
      }
      for isa in ["avx512vnni", "amx"] where bits[isa] != nil {
        XCTAssertEqual(bits[isa], bits["avx2"], "\(isa) and avx2 differ, len \(len)")
      }
    }
  }

  func testParallelRowsSameBits() {
    var rng = KernelRandom(seed: 14)
    let n = 40, len = 300, ld = 2 * len + 3
    let rows = rng.floats(n * ld, scale: 6), a = rng.floats(70_000, scale: 4), b = rng.floats(70_000)
    var bias = rng.floats(2 * len)
    var cosSin = [Float]()
    for t in 0..<n {
      let angles = (0..<32).map { Double(t + 3) * pow(10000, -2 * Double($0) / 64) }
      cosSin += angles.map { Float(cos($0)) } + angles.map { Float(sin($0)) }
    }
    var expected = rows
    for t in 0..<n {
      expected.withUnsafeMutableBufferPointer { p in
        let row = p.baseAddress! + t * ld
        ssa_swiglu(row, row + len, Int64(len))
      }
    }
    var results: [[UInt32]] = []
    for threads in [1, 2] {
      ssa_set_threads(Int32(threads))
      var x = rows
      ssa_swiglu_rows(&x, Int64(ld), Int64(n), Int64(len))
      XCTAssertEqual(x.map(\.bitPattern), expected.map(\.bitPattern), "swiglu rows, \(threads) threads")
      var sum = a
      ssa_add(&sum, b, Int64(a.count))
      var y = rows
      ssa_add_bias(&y, Int64(ld), &bias, Int64(2 * len), Int64(n))
      var r = rows
      ssa_rope_neox(&r, Int64(ld), Int64(n), 9, 64, cosSin)
      results.append((sum + y + r).map(\.bitPattern))
    }
    XCTAssertEqual(results[0], results[1], "add, bias, rope: 1 and 2 threads")
    XCTAssertEqual(Array(results[0].prefix(a.count)), zip(a, b).map { ($0 + $1).bitPattern })
  }

  func testRopeNeox() {
    var rng = KernelRandom(seed: 12)
    let n = 3, heads = 2, hd = 8, ld = heads * hd + 5
    let x = rng.floats(n * ld)
    var cosSin = [Float]()
    for t in 0..<n {
      let angles = (0..<(hd / 2)).map { Double(t + 7) * pow(10000, -2 * Double($0) / Double(hd)) }
      cosSin += angles.map { Float(cos($0)) } + angles.map { Float(sin($0)) }
    }
    var y = x
    ssa_rope_neox(&y, Int64(ld), Int64(n), Int32(heads), Int32(hd), cosSin)
    for t in 0..<n {
      for h in 0..<heads {
        let base = t * ld + h * hd
        for i in 0..<(hd / 2) {
          let c = Double(cosSin[t * hd + i]), s = Double(cosSin[t * hd + hd / 2 + i])
          let x0 = Double(x[base + i]), x1 = Double(x[base + i + hd / 2])
          // HF: q * cos + rotate_half(q) * sin, rotate_half(q) = cat(-q2, q1)
          XCTAssertEqual(Double(y[base + i]), x0 * c - x1 * s, accuracy: 1e-6)
          XCTAssertEqual(Double(y[base + i + hd / 2]), x1 * c + x0 * s, accuracy: 1e-6)
        }
      }
      for i in (heads * hd)..<ld { XCTAssertEqual(y[t * ld + i], x[t * ld + i], "padding untouched") }
    }
  }

  func testKVStore() {
    var rng = KernelRandom(seed: 13)
    let cap = 9, kvh = 2, hd = 6, n = 4, pos0 = 3, ld = kvh * hd + 1
    let x = rng.floats(n * ld)
    var f32 = [Float](repeating: 0, count: kvh * cap * hd)
    var f16 = [UInt16](repeating: 0, count: kvh * cap * hd)
    ssa_kv_store(KernelSupport.type(SSA_TYPE_F32), &f32, Int64(cap), Int32(kvh), Int32(hd), x, Int64(ld), Int64(pos0), Int64(n))
    ssa_kv_store(KernelSupport.type(SSA_TYPE_F16), &f16, Int64(cap), Int32(kvh), Int32(hd), x, Int64(ld), Int64(pos0), Int64(n))
    for t in 0..<n {
      for h in 0..<kvh {
        for d in 0..<hd {
          let at = (h * cap + pos0 + t) * hd + d, v = x[t * ld + h * hd + d]
          XCTAssertEqual(f32[at], v)
          XCTAssertEqual(f16[at], ssa_fp32_to_fp16(v))
        }
      }
    }
    XCTAssertEqual(f32[0], 0, "positions before pos0 untouched")
  }
}
