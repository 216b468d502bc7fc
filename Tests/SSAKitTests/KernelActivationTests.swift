import CKernels
import Foundation
import XCTest

/// The int8 activation conversion every quantized matmul starts with: each ISA's converter writes
/// the same bytes as the scalar reference (values, scales, sums), on random rows, rows with zero
/// and tied blocks, and lengths of 1 to 33 blocks.
final class KernelActivationTests: XCTestCase {
  static let quantized: [ssa_type] = [
    SSA_TYPE_Q8_0, SSA_TYPE_Q4_0, SSA_TYPE_Q8_0_R8, SSA_TYPE_Q4_0_R8, SSA_TYPE_Q8_0_R16, SSA_TYPE_Q4_0_R16,
  ]

  override func tearDown() {
    _ = ssa_force_isa(KernelSupport.isas.last!)
  }

  func convert(_ type: Int32, _ x: [Float]) -> [UInt8] {
    var out = [UInt8](repeating: 0xAA, count: ssa_act_row_bytes(type, Int64(x.count)))
    out.withUnsafeMutableBytes { XCTAssertEqual(ssa_convert_act(type, x, $0.baseAddress, Int64(x.count)), $0.count) }
    return out
  }

  func rows() -> [[Float]] {
    var rng = KernelRandom(seed: 21)
    var rows: [[Float]] = []
    for blocks in [1, 2, 3, 7, 28, 33] {
      rows.append(rng.floats(32 * blocks, scale: 4))
      // a zero block, a block whose values tie at half-way points of the scale, huge and tiny values
      var edge = rng.floats(32 * blocks)
      for i in 0..<32 { edge[i] = 0 }
      if blocks > 1 { for i in 32..<64 { edge[i] = Float(i - 48) * 0.5 + (i == 40 ? 63.5 : 0) } }
      if blocks > 2 { for i in 64..<96 { edge[i] = i % 2 == 0 ? 3e38 : -1e-30 } }
      rows.append(edge)
    }
    return rows
  }

  func testEveryISAWritesTheReferenceBytes() {
    let data = rows()
    _ = ssa_force_isa("scalar")
    let reference = Self.quantized.map { t in data.map { convert(KernelSupport.type(t), $0) } }
    for isa in KernelSupport.isas {
      XCTAssertEqual(ssa_force_isa(isa), 1)
      for (i, t) in Self.quantized.enumerated() {
        for (j, x) in data.enumerated() {
          XCTAssertEqual(convert(KernelSupport.type(t), x), reference[i][j], "\(isa) \(t) row \(j) (\(x.count) values)")
        }
      }
    }
  }

  func testFloatWeightsConvertNothing() {
    for t in [SSA_TYPE_F32, SSA_TYPE_F16, SSA_TYPE_BF16] {
      XCTAssertEqual(ssa_act_row_bytes(KernelSupport.type(t), 64), 0)
      XCTAssertEqual(ssa_convert_act(KernelSupport.type(t), [Float](repeating: 1, count: 64), nil, 64), 0)
    }
    XCTAssertEqual(ssa_act_row_bytes(-1, 64), 0)
  }
}
