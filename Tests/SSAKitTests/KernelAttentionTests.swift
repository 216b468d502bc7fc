import CKernels
import Foundation
import XCTest

/// Causal grouped-query attention over F32 and F16 caches against a double-precision softmax, for
/// every ISA, and bitwise across thread counts.
final class KernelAttentionTests: XCTestCase {
  struct Case {
    let heads: Int, kvHeads: Int, hd: Int, pos0: Int, n: Int
  }

  static let cases = [
    Case(heads: 2, kvHeads: 1, hd: 8, pos0: 0, n: 1),
    Case(heads: 4, kvHeads: 2, hd: 16, pos0: 0, n: 13),
    Case(heads: 14, kvHeads: 2, hd: 64, pos0: 5, n: 37),
    Case(heads: 14, kvHeads: 2, hd: 64, pos0: 1500, n: 1),  // decode past one reference chunk
    Case(heads: 6, kvHeads: 3, hd: 32, pos0: 70, n: 90),
  ]

  override func tearDown() {
    _ = ssa_force_isa(KernelSupport.isas.last!)
    ssa_set_threads(0)
  }

  struct Setup {
    var q: [Float], k: [Float], v: [Float], kCache: [UInt8], vCache: [UInt8], capacity: Int, ldq: Int
  }

  func setup(_ c: Case, kv: ssa_type, rng: inout KernelRandom) -> Setup {
    let capacity = c.pos0 + c.n + 3, ldq = c.heads * c.hd + 2, ldkv = c.kvHeads * c.hd
    let q = rng.floats(c.n * ldq, scale: 2)
    let k = rng.floats((c.pos0 + c.n) * ldkv, scale: 2), v = rng.floats((c.pos0 + c.n) * ldkv)
    let elem = kv == SSA_TYPE_F16 ? 2 : 4
    var kc = [UInt8](repeating: 0, count: c.kvHeads * capacity * c.hd * elem), vc = kc
    let type = KernelSupport.type(kv), total = Int64(c.pos0 + c.n)
    kc.withUnsafeMutableBytes { ssa_kv_store(type, $0.baseAddress, Int64(capacity), Int32(c.kvHeads), Int32(c.hd), k, Int64(ldkv), 0, total) }
    vc.withUnsafeMutableBytes { ssa_kv_store(type, $0.baseAddress, Int64(capacity), Int32(c.kvHeads), Int32(c.hd), v, Int64(ldkv), 0, total) }
    return Setup(q: q, k: k, v: v, kCache: kc, vCache: vc, capacity: capacity, ldq: ldq)
  }

  func run(_ c: Case, kv: ssa_type, _ s: Setup) -> [Float] {
    let ldo = c.heads * c.hd + 1
    var out = [Float](repeating: .nan, count: c.n * ldo)
    let size = max(ssa_attention_scratch_size(Int64(c.pos0 + c.n), Int64(c.n), Int32(c.kvHeads), Int32(c.hd)), 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { scratch.deallocate() }
    s.kCache.withUnsafeBytes { k in
      s.vCache.withUnsafeBytes { v in
        ssa_attention(KernelSupport.type(kv), k.baseAddress, v.baseAddress, Int64(s.capacity), Int32(c.heads),
                      Int32(c.kvHeads), Int32(c.hd), 1 / Float(c.hd).squareRoot(), s.q, Int64(s.ldq),
                      Int64(c.pos0), Int64(c.n), &out, Int64(ldo), scratch)
      }
    }
    return out
  }

  func testMatchesDoubleSoftmax() {
    var rng = KernelRandom(seed: 20)
    for isa in KernelSupport.isas {
      _ = ssa_force_isa(isa)
      for kv in [SSA_TYPE_F32, SSA_TYPE_F16] {
        for c in Self.cases {
          let s = setup(c, kv: kv, rng: &rng)
          let out = run(c, kv: kv, s)
          let ldo = c.heads * c.hd + 1, ldkv = c.kvHeads * c.hd
          // the cache holds what was stored: fp16-rounded values for an F16 cache
          let round: (Float) -> Double = { kv == SSA_TYPE_F16 ? Double(ssa_fp16_to_fp32(ssa_fp32_to_fp16($0))) : Double($0) }
          var worst = 0.0
          for t in 0..<c.n {
            for h in 0..<c.heads {
              let g = h / (c.heads / c.kvHeads), keys = c.pos0 + t + 1
              var scores = [Double](repeating: 0, count: keys)
              for p in 0..<keys {
                var dot = 0.0
                for d in 0..<c.hd { dot += Double(s.q[t * s.ldq + h * c.hd + d]) * round(s.k[p * ldkv + g * c.hd + d]) }
                scores[p] = dot / Double(c.hd).squareRoot()
              }
              let m = scores.max()!
              let e = scores.map { exp($0 - m) }, sum = e.reduce(0, +)
              for d in 0..<c.hd {
                var acc = 0.0
                for p in 0..<keys { acc += e[p] * round(s.v[p * ldkv + g * c.hd + d]) }
                let error = abs(Double(out[t * ldo + h * c.hd + d]) - acc / sum)
                worst = error.isNaN ? .infinity : max(worst, error)  // max() would drop a NaN
              }
            }
            XCTAssertTrue(out[t * ldo + c.heads * c.hd].isNaN, "padding untouched")
          }
          // values are O(1); float accumulation over up to 1,500 keys
          XCTAssertLessThan(worst, 2e-5, "\(isa) \(kv) \(c)")
        }
      }
    }
  }

  /// A query's result depends only on its position and on how it is attended: any split of a prefill
  /// into chunks of 2 tokens or more gives the bits of attending the whole prompt at once; token by
  /// token (decode) gives them too, except on AMX, whose prefill kernel (bf16 tiles) is not the one
  /// decode uses (fp32 vectors): there the two agree within 2e-5.
  func testChunksAndTokensMatchPrefill() {
    var rng = KernelRandom(seed: 22)
    for isa in KernelSupport.isas {
      _ = ssa_force_isa(isa)
      for kv in [SSA_TYPE_F32, SSA_TYPE_F16] {
        let c = Case(heads: 14, kvHeads: 2, hd: 64, pos0: 0, n: 45)
        let s = setup(c, kv: kv, rng: &rng)
        let all = run(c, kv: kv, s)
        let ldo = c.heads * c.hd + 1, width = c.heads * c.hd
        func slice(_ t0: Int, _ t1: Int) -> Setup {
          var part = s
          part.q = Array(s.q[(t0 * s.ldq)..<(t1 * s.ldq)])
          return part
        }
        func rows(_ out: [Float], _ count: Int) -> [UInt32] {
          (0..<count).flatMap { t in out[(t * ldo)..<(t * ldo + width)].map(\.bitPattern) }
        }
        for split in [2, 20, 31] {
          let head = run(Case(heads: c.heads, kvHeads: c.kvHeads, hd: c.hd, pos0: 0, n: split), kv: kv, slice(0, split))
          let tail = run(Case(heads: c.heads, kvHeads: c.kvHeads, hd: c.hd, pos0: split, n: c.n - split), kv: kv, slice(split, c.n))
          XCTAssertEqual(rows(head, split) + rows(tail, c.n - split), rows(all, c.n), "\(isa) \(kv) chunks split at \(split)")
        }
        for t in [0, 17, 31, 32, 44] {
          let row = run(Case(heads: c.heads, kvHeads: c.kvHeads, hd: c.hd, pos0: t, n: 1), kv: kv, slice(t, t + 1))
          let one = row.prefix(width), prefill = all[(t * ldo)..<(t * ldo + width)]
          if isa == "amx" && kv == SSA_TYPE_F16 {
            let worst = zip(one, prefill).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 2e-5, "\(isa) \(kv) token \(t)")
          } else {
            XCTAssertEqual(one.map(\.bitPattern), prefill.map(\.bitPattern), "\(isa) \(kv) token \(t)")
          }
        }
      }
    }
  }

  func testSameBitsAtOneAndTwoThreads() {
    var rng = KernelRandom(seed: 21)
    for isa in KernelSupport.isas {
      _ = ssa_force_isa(isa)
      for kv in [SSA_TYPE_F32, SSA_TYPE_F16] {
        for c in Self.cases {
          let s = setup(c, kv: kv, rng: &rng)
          ssa_set_threads(1)
          let one = run(c, kv: kv, s)
          ssa_set_threads(2)
          let two = run(c, kv: kv, s)
          XCTAssertEqual(one.map(\.bitPattern), two.map(\.bitPattern), "\(isa) \(kv) \(c)")
        }
      }
    }
  }
}
