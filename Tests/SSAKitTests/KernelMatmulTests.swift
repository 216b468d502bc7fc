import CKernels
import Foundation
import XCTest

/// ssa_matmul for every weight type and ISA: against a double-precision dot product with a stated
/// error bound, bitwise across ISAs on data whose every sum is exact in float, and bitwise across
/// thread counts.
final class KernelMatmulTests: XCTestCase {
  static let weightTypes: [(String, ssa_type)] = [
    ("F32", SSA_TYPE_F32), ("F16", SSA_TYPE_F16), ("BF16", SSA_TYPE_BF16),
    ("Q8_0", SSA_TYPE_Q8_0), ("Q4_0", SSA_TYPE_Q4_0), ("Q8_0_R8", SSA_TYPE_Q8_0_R8), ("Q4_0_R8", SSA_TYPE_Q4_0_R8),
    ("Q8_0_R16", SSA_TYPE_Q8_0_R16), ("Q4_0_R16", SSA_TYPE_Q4_0_R16),
  ]
  // Shapes that are not multiples of any row or token tile, vector width or thread split.
  static let shapes: [(rows: Int, cols: Int, n: Int)] = [
    (1, 32, 1), (7, 64, 1), (45, 96, 3), (67, 160, 1), (33, 288, 7), (130, 320, 19), (50, 896, 37),
  ]
  // Repacked weights come in groups of 8 rows.
  static let shapesR8: [(rows: Int, cols: Int, n: Int)] = [
    (8, 32, 1), (16, 64, 2), (48, 96, 3), (64, 160, 5), (40, 288, 7), (136, 320, 19), (56, 896, 37),
  ]

  // 16 rows a group; token counts that leave partial AMX tiles (16 tokens) and items (128 tokens), a
  // row longer than one expanded Q4_0 chunk (64 blocks), a single token among many (a 1-token item).
  static let shapesR16: [(rows: Int, cols: Int, n: Int)] = [
    (16, 32, 1), (32, 64, 2), (48, 96, 3), (64, 160, 17), (48, 288, 7), (144, 320, 19), (80, 896, 37),
    (32, 2112, 20), (16, 64, 129),
  ]

  static func shapes(_ name: String) -> [(rows: Int, cols: Int, n: Int)] {
    name.hasSuffix("_R8") ? shapesR8 : name.hasSuffix("_R16") ? shapesR16 : shapes
  }

  override func tearDown() {
    _ = ssa_force_isa(KernelSupport.isas.last!)
    ssa_set_threads(0)
  }

  /// The bound on |y - exact| for one output: float weights give rounding error only; int8
  /// activations (d = amax/127 per block, rounding error at most d/2 per element) add
  /// sum_i |w_i| * d_block(i) / 2.
  func bound(w: ArraySlice<Float>, x: ArraySlice<Float>, quantized: Bool) -> Double {
    var magnitude = 0.0, activation = 0.0
    let w = Array(w), x = Array(x)
    for i in 0..<w.count { magnitude += abs(Double(w[i]) * Double(x[i])) }
    if quantized {
      for b in stride(from: 0, to: x.count, by: 32) {
        let d = Double(x[b..<(b + 32)].map { abs($0) }.max()!) / 127
        for i in b..<(b + 32) { activation += abs(Double(w[i])) * d / 2 }
      }
    }
    return activation * 1.001 + magnitude * 2e-5 + 1e-30
  }

  func testMatchesDoubleDot() {
    var rng = KernelRandom(seed: 1)
    for isa in KernelSupport.isas {
      XCTAssertEqual(ssa_force_isa(isa), 1)
      for (name, t) in Self.weightTypes {
        let type = KernelSupport.type(t)
        for shape in Self.shapes(name) {
          let values = rng.floats(shape.rows * shape.cols)
          let x = rng.floats(shape.n * shape.cols, scale: 3)
          let weights = KernelSupport.encode(values, type: type, cols: shape.cols)
          let w = KernelSupport.decode(KernelSupport.encode(values, type: KernelSupport.plain(type), cols: shape.cols),
                                       type: KernelSupport.plain(type), count: values.count)
          let y = KernelSupport.matmul(type: type, weights: weights, rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
          var worst = 0.0
          for t in 0..<shape.n {
            for r in 0..<shape.rows {
              let wr = w[(r * shape.cols)..<((r + 1) * shape.cols)], xt = x[(t * shape.cols)..<((t + 1) * shape.cols)]
              var exact = 0.0
              for i in 0..<shape.cols { exact += Double(wr[wr.startIndex + i]) * Double(xt[xt.startIndex + i]) }
              let err = abs(Double(y[t * shape.rows + r]) - exact)
              let tol = bound(w: wr, x: xt, quantized: name.hasPrefix("Q"))
              worst = max(worst, err / tol)
            }
          }
          XCTAssertLessThanOrEqual(worst, 1, "\(isa) \(name) \(shape): error \(worst) of the bound")
        }
      }
    }
  }

  /// Integer weights and activations with power-of-two scales: every product and partial sum is
  /// exact in float, so any summation order gives the same bits, and an ISA whose integer block
  /// sums were off by one anywhere would differ from the scalar reference.
  func testISAsAgreeBitwiseOnExactData() {
    var rng = KernelRandom(seed: 2)
    for (name, t) in Self.weightTypes {
      let type = KernelSupport.type(t)
      for shape in Self.shapes(name) {
        let q4 = t == SSA_TYPE_Q4_0 || t == SSA_TYPE_Q4_0_R8 || t == SSA_TYPE_Q4_0_R16
        // Small integers with one block maximum (so the quantizers keep them exact): every block
        // sum stays below 2^15 and every total below 2^22, exact in float.
        var values = [Float](), x = [Float]()
        for _ in 0..<(shape.rows * shape.cols / 32) {
          let scale = 1 / Float(1 << rng.int(0...2))
          var block = (0..<32).map { _ in Float(q4 ? rng.int(-7...7) : rng.int(-15...15)) }
          block[rng.int(0...31)] = q4 ? -8 : 127
          values += block.map { $0 * scale }
        }
        for _ in 0..<(shape.n * shape.cols / 32) {
          var block = (0..<32).map { _ in Float(rng.int(-15...15)) }
          block[rng.int(0...31)] = rng.int(0...1) == 0 ? 127 : -127
          x += block
        }
        let weights = KernelSupport.encode(values, type: type, cols: shape.cols)
        let plain = KernelSupport.encode(values, type: KernelSupport.plain(type), cols: shape.cols)
        XCTAssertEqual(KernelSupport.decode(plain, type: KernelSupport.plain(type), count: values.count), values, "\(name) encodes exactly")
        var reference: [Float]?
        for isa in KernelSupport.isas {
          _ = ssa_force_isa(isa)
          let y = KernelSupport.matmul(type: type, weights: weights, rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
          if let reference {
            XCTAssertEqual(y.map(\.bitPattern), reference.map(\.bitPattern), "\(isa) \(name) \(shape)")
          } else {
            reference = y
          }
        }
      }
    }
  }

  func testSameBitsAtOneAndTwoThreads() {
    var rng = KernelRandom(seed: 3)
    for isa in KernelSupport.isas {
      _ = ssa_force_isa(isa)
      for (name, t) in Self.weightTypes {
        let type = KernelSupport.type(t)
        for shape in [(rows: 64, cols: 160, n: 1), (rows: 144, cols: 320, n: 19), (rows: 304, cols: 64, n: 70)] {
          let weights = KernelSupport.encode(rng.floats(shape.rows * shape.cols), type: type, cols: shape.cols)
          let x = rng.floats(shape.n * shape.cols)
          ssa_set_threads(1)
          let one = KernelSupport.matmul(type: type, weights: weights, rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
          ssa_set_threads(2)
          let two = KernelSupport.matmul(type: type, weights: weights, rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
          XCTAssertEqual(one.map(\.bitPattern), two.map(\.bitPattern), "\(isa) \(name) \(shape)")
        }
      }
    }
  }

  /// The repacked layouts give what the GGML layouts give: bit for bit on exact data (above), and
  /// here the scalar kernels agree bit for bit on random data too, as they sum in the same order.
  func testRepackedScalarEqualsPlainScalar() {
    var rng = KernelRandom(seed: 4)
    _ = ssa_force_isa("scalar")
    for (plain, packed) in [(SSA_TYPE_Q8_0, SSA_TYPE_Q8_0_R8), (SSA_TYPE_Q4_0, SSA_TYPE_Q4_0_R8)] {
      for shape in Self.shapesR8 {
        let values = rng.floats(shape.rows * shape.cols), x = rng.floats(shape.n * shape.cols)
        let a = KernelSupport.matmul(type: KernelSupport.type(plain), weights: KernelSupport.encode(values, type: KernelSupport.type(plain), cols: shape.cols),
                                     rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
        let b = KernelSupport.matmul(type: KernelSupport.type(packed), weights: KernelSupport.encode(values, type: KernelSupport.type(packed), cols: shape.cols),
                                     rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(packed) \(shape)")
      }
    }
  }

  func testDequantizeRepackedRow() {
    var rng = KernelRandom(seed: 5)
    let rows = 48, cols = 96
    for packed in [SSA_TYPE_Q8_0_R8, SSA_TYPE_Q4_0_R8, SSA_TYPE_Q8_0_R16, SSA_TYPE_Q4_0_R16] {
      let type = KernelSupport.type(packed)
      let values = rng.floats(rows * cols)
      let plain = KernelSupport.decode(KernelSupport.encode(values, type: KernelSupport.plain(type), cols: cols),
                                       type: KernelSupport.plain(type), count: values.count)
      let weights = KernelSupport.encode(values, type: type, cols: cols)
      for r in 0..<rows {
        var row = [Float](repeating: .nan, count: cols)
        weights.withUnsafeBytes { ssa_dequantize_repacked_row(type, $0.baseAddress, Int64(cols), Int64(r), &row) }
        XCTAssertEqual(row.map(\.bitPattern), plain[(r * cols)..<((r + 1) * cols)].map(\.bitPattern), "\(packed) row \(r)")
      }
    }
  }

  func testRepackType() {
    let isa = String(cString: ssa_kernel_isa())
    let q4 = KernelSupport.type(SSA_TYPE_Q4_0)
    XCTAssertEqual(ssa_repack_type(q4, 7, 64), q4, "rows must come in eights")
    XCTAssertEqual(ssa_repack_type(KernelSupport.type(SSA_TYPE_F16), 64, 64), KernelSupport.type(SSA_TYPE_F16))
    let expected = isa == "amx" ? KernelSupport.type(SSA_TYPE_Q4_0_R16)
      : isa == "avx2" || isa == "avx512vnni" ? KernelSupport.type(SSA_TYPE_Q4_0_R8) : q4
    XCTAssertEqual(ssa_repack_type(q4, 64, 64), expected)
    XCTAssertEqual(ssa_repack_type(q4, 24, 64), isa == "amx" ? q4 : expected, "AMX takes rows in sixteens")
    XCTAssertEqual(ssa_type_block_bytes(KernelSupport.type(SSA_TYPE_Q4_0_R8)), 18)
    XCTAssertEqual(ssa_type_block_bytes(KernelSupport.type(SSA_TYPE_Q8_0_R16)), 34)
  }

  func testScratchSize() {
    XCTAssertEqual(ssa_matmul_scratch_size(KernelSupport.type(SSA_TYPE_F32), 896, 4), 0)
    XCTAssertGreaterThanOrEqual(ssa_matmul_scratch_size(KernelSupport.type(SSA_TYPE_Q8_0), 896, 4), 4 * (896 + 28 * 8))
  }
}

extension KernelMatmulTests {
  /// Every R16 kernel (scalar reference, 512-bit vectors, AMX tiles) takes the same per-block step,
  /// so on random data all of them, and decode (one token at a time) against prefill, agree bit for bit.
  func testR16KernelsAgreeBitwise() {
    var rng = KernelRandom(seed: 6)
    let isas = KernelSupport.isas.filter { $0 == "scalar" || $0 == "avx512vnni" || $0 == "amx" }
    for t in [SSA_TYPE_Q8_0_R16, SSA_TYPE_Q4_0_R16] {
      let type = KernelSupport.type(t)
      for shape in [(rows: 48, cols: 4864, n: 37), (rows: 64, cols: 896, n: 150)] {
        let weights = KernelSupport.encode(rng.floats(shape.rows * shape.cols), type: type, cols: shape.cols)
        let x = rng.floats(shape.n * shape.cols, scale: 3)
        var reference: [Float]?
        for isa in isas {
          _ = ssa_force_isa(isa)
          let y = KernelSupport.matmul(type: type, weights: weights, rows: shape.rows, cols: shape.cols, x: x, n: shape.n)
          if let reference {
            XCTAssertEqual(y.map(\.bitPattern), reference.map(\.bitPattern), "\(isa) \(t) \(shape)")
          } else {
            reference = y
          }
          for tok in [0, shape.n - 1] {
            let one = KernelSupport.matmul(type: type, weights: weights, rows: shape.rows, cols: shape.cols,
                                           x: Array(x[(tok * shape.cols)..<((tok + 1) * shape.cols)]), n: 1)
            XCTAssertEqual(one.map(\.bitPattern), y[(tok * shape.rows)..<((tok + 1) * shape.rows)].map(\.bitPattern),
                           "\(isa) \(t) \(shape): decode of token \(tok) equals prefill")
          }
        }
      }
    }
  }
}
