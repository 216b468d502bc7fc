import CKernels
import Foundation
import XCTest

@testable import SSAKit

/// ssa_quantize_row_q4_0_best: same Q4_0 format, less squared error than round-to-nearest.
final class KernelQuantizeBestTests: XCTestCase {
  func squaredError(_ x: [Float], _ blocks: [UInt8]) -> [Double] {
    let y = KernelSupport.decode(blocks, type: KernelSupport.type(SSA_TYPE_Q4_0), count: x.count)
    return stride(from: 0, to: x.count, by: 32).map { b in
      (b..<(b + 32)).reduce(0.0) { $0 + pow(Double(x[$1]) - Double(y[$1]), 2) }
    }
  }

  func check(_ x: [Float], name: String) -> (rtn: Double, best: Double) {
    var rtn = [UInt8](repeating: 0, count: x.count / 32 * 18), best = rtn
    ssa_quantize_row_q4_0(x, &rtn, Int64(x.count))
    ssa_quantize_row_q4_0_best(x, &best, Int64(x.count))
    let e0 = squaredError(x, rtn), e1 = squaredError(x, best)
    let worse = zip(e0, e1).filter { (rtn: Double, best: Double) -> Bool in best > rtn * (1 + 1e-6) + 1e-30 }.count
    XCTAssertEqual(worse, 0, "\(name): \(worse) blocks got worse")
    return (e0.reduce(0, +), e1.reduce(0, +))
  }

  /// Real weights: rows of three projections of the default model (dequantized from its file).
  func testLowerErrorThanRoundToNearestOnRealWeights() throws {
    let file = try GGUFFile(path: try ModelStore.ensureDownloadedModel())
    for name in ["blk.0.attn_q.weight", "blk.5.ffn_gate.weight", "blk.23.ffn_down.weight"] {
      let tensor = try XCTUnwrap(file.tensor(named: name))
      let rows = 64, cols = tensor.rowLength
      let bytes = rows * cols / Int(tensor.type.blockSize) * tensor.type.typeSize
      var x = [Float](repeating: 0, count: rows * cols)
      ssa_dequantize_row(Int32(tensor.type.rawValue), file.data(of: tensor).baseAddress, &x, Int64(x.count))
      XCTAssertLessThanOrEqual(bytes, tensor.byteCount)
      let (rtn, best) = check(x, name: name)
      print("\(name): Q4_0 squared error, round-to-nearest \(rtn), searched \(best) (\(String(format: "%.1f", 100 * (1 - best / rtn)))% less)")
      XCTAssertLessThan(best, rtn * 0.95, "\(name): RTN \(rtn), searched \(best)")
    }
  }

  func testEdgeBlocks() {
    var x = [Float](repeating: 0, count: 96)
    for i in 32..<64 { x[i] = 1 }
    for i in 64..<96 { x[i] = Float(i - 80) * 0.01 }
    let (rtn, best) = check(x, name: "edges")
    XCTAssertLessThanOrEqual(best, rtn)
    var zero = [UInt8](repeating: 0xff, count: 18)
    ssa_quantize_row_q4_0_best([Float](repeating: 0, count: 32), &zero, 32)
    XCTAssertEqual(KernelSupport.decode(zero, type: KernelSupport.type(SSA_TYPE_Q4_0), count: 32), [Float](repeating: 0, count: 32))
  }
}
