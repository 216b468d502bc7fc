import CKernels
import Foundation
import XCTest

/// ssa_mlp, the fused MLP block of a prompt chunk, gives the same bits as its three steps run apart
/// (ssa_matmul for gate/up, ssa_swiglu_rows, ssa_matmul for down), for every ISA, quantized weight
/// type and thread count, at shapes that leave partial token tiles and items.
final class KernelMLPTests: XCTestCase {
  static let types: [(String, ssa_type)] = [
    ("Q8_0", SSA_TYPE_Q8_0), ("Q4_0", SSA_TYPE_Q4_0), ("Q8_0_R8", SSA_TYPE_Q8_0_R8), ("Q4_0_R8", SSA_TYPE_Q4_0_R8),
    ("Q8_0_R16", SSA_TYPE_Q8_0_R16), ("Q4_0_R16", SSA_TYPE_Q4_0_R16),
  ]
  // (hidden, ffn, tokens): rows a multiple of 16 (the R16 group), ffn of 1 to 5 items of 64 columns,
  // tokens from 2 to past one item of 128, with partial 16-token tiles.
  static let shapes: [(hidden: Int, ffn: Int, n: Int)] = [
    (32, 64, 2), (64, 128, 3), (96, 192, 19), (160, 64, 37), (64, 128, 130), (32, 320, 257),
  ]

  override func tearDown() {
    _ = ssa_force_isa(KernelSupport.isas.last!)
    ssa_set_threads(0)
  }

  /// down(silu(gate(x)) * up(x)) through the three separate calls.
  func unfused(_ gu: [UInt8], _ down: [UInt8], type t: Int32, hidden: Int, ffn: Int, x: [Float], n: Int) -> [Float] {
    var h = KernelSupport.matmul(type: t, weights: gu, rows: 2 * ffn, cols: hidden, x: x, n: n)
    ssa_swiglu_rows(&h, Int64(2 * ffn), Int64(n), Int64(ffn))
    // the down projection reads the gate half of each row
    var rows = [Float]()
    for i in 0..<n { rows += h[(i * 2 * ffn)..<(i * 2 * ffn + ffn)] }
    return KernelSupport.matmul(type: t, weights: down, rows: hidden, cols: ffn, x: rows, n: n)
  }

  func fused(_ gu: [UInt8], _ down: [UInt8], type t: Int32, hidden: Int, ffn: Int, x: [Float], n: Int) -> [Float] {
    var y = x  // in place, as the forward pass calls it
    let size = ssa_mlp_scratch_size(t, t, Int64(hidden), Int64(ffn), Int64(n))
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(size, 64), alignment: 64)
    defer { scratch.deallocate() }
    gu.withUnsafeBytes { g in
      down.withUnsafeBytes { d in
        y.withUnsafeMutableBufferPointer { yp in
          ssa_mlp(t, g.baseAddress, t, d.baseAddress, Int64(hidden), Int64(ffn), yp.baseAddress, Int64(n), yp.baseAddress, scratch)
        }
      }
    }
    return y
  }

  func testFusedEqualsUnfusedBitwise() {
    var rng = KernelRandom(seed: 11)
    for isa in KernelSupport.isas {
      XCTAssertEqual(ssa_force_isa(isa), 1)
      for (name, st) in Self.types {
        let t = KernelSupport.type(st)
        for shape in Self.shapes {
          XCTAssertEqual(ssa_mlp_fusable(t, t, Int64(shape.ffn)), 1, "\(isa) \(name)")
          let gu = KernelSupport.encode(rng.floats(2 * shape.ffn * shape.hidden), type: t, cols: shape.hidden)
          let down = KernelSupport.encode(rng.floats(shape.hidden * shape.ffn), type: t, cols: shape.ffn)
          let x = rng.floats(shape.n * shape.hidden, scale: 3)
          for threads in [1, 2] {
            ssa_set_threads(Int32(threads))
            let want = unfused(gu, down, type: t, hidden: shape.hidden, ffn: shape.ffn, x: x, n: shape.n)
            let got = fused(gu, down, type: t, hidden: shape.hidden, ffn: shape.ffn, x: x, n: shape.n)
            XCTAssertFalse(got.contains { !$0.isFinite }, "\(isa) \(name) \(shape)")
            let differing = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(differing, 0, "\(isa) \(name) \(shape) \(threads) threads: outputs that differ")
          }
        }
      }
    }
  }

  /// Float weights keep their float activations: not fused. Nor is an ffn that is not whole items.
  func testFusableOnlyForInt8Activations() {
    for isa in KernelSupport.isas {
      _ = ssa_force_isa(isa)
      for t in [SSA_TYPE_F32, SSA_TYPE_F16, SSA_TYPE_BF16] {
        XCTAssertEqual(ssa_mlp_fusable(KernelSupport.type(t), KernelSupport.type(t), 64), 0, "\(isa) \(t)")
      }
      let q8 = KernelSupport.type(SSA_TYPE_Q8_0)
      XCTAssertEqual(ssa_mlp_fusable(q8, KernelSupport.type(SSA_TYPE_F32), 64), 0, isa)
      XCTAssertEqual(ssa_mlp_fusable(q8, q8, 96), 0, isa)
      XCTAssertEqual(ssa_mlp_fusable(-1, q8, 64), 0, isa)
    }
  }
}
