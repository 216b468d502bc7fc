import CKernels
import Foundation
import XCTest

@testable import SSAKit

/// ssa_quantize_row_q4_0_best and ssa_quantize_row_q8_0_best: same formats, less error than
/// round-to-nearest, the error of each value weighted by (sigma^2 + x^2) of its block (importance,
/// when given, multiplies in).
final class KernelQuantizeBestTests: XCTestCase {
  func squaredError(_ x: [Float], _ blocks: [UInt8], importance: [Float]? = nil, type: ssa_type = SSA_TYPE_Q4_0) -> [Double] {
    let y = KernelSupport.decode(blocks, type: KernelSupport.type(type), count: x.count)
    var errors: [Double] = []
    for b in stride(from: 0, to: x.count, by: 32) {
      var s2 = 0.0
      for j in b..<(b + 32) { s2 += Double(x[j]) * Double(x[j]) }
      s2 /= 32
      var e = 0.0
      for j in b..<(b + 32) {
        let d = Double(x[j]) - Double(y[j])
        e += Double(importance?[j] ?? 1) * (s2 + Double(x[j]) * Double(x[j])) * d * d
      }
      errors.append(e)
    }
    return errors
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
      print("\(name): Q4_0 weighted squared error, round-to-nearest \(rtn), searched \(best) (\(String(format: "%.1f", 100 * (1 - best / rtn)))% less)")
      XCTAssertLessThan(best, rtn * 0.95, "\(name): RTN \(rtn), searched \(best)")
    }
  }

  /// With column importance the search minimises the importance-weighted error: never worse than
  /// round-to-nearest by that measure on any block, and lower in total than the search without it.
  func testImportanceWeightedSearch() throws {
    var rng = KernelRandom(seed: 7)
    let cols = 256, rows = 64
    let x = (0..<(rows * cols)).map { _ in rng.float() * abs(rng.float()) }
    let columnWeights: [Float] = (0..<cols).map { _ in
      let g: Float = 0.05 + 1.5 * (rng.float() + 1)
      return g * g
    }
    let importance = (0..<(rows * cols)).map { columnWeights[$0 % cols] }
    var rtn = [UInt8](repeating: 0, count: x.count / 32 * 18), plain = rtn, weighted = rtn
    ssa_quantize_row_q4_0(x, &rtn, Int64(x.count))
    ssa_quantize_row_q4_0_best(x, &plain, Int64(x.count))
    ssa_quantize_row_q4_0_weighted(x, &weighted, Int64(x.count), importance)
    let e0 = squaredError(x, rtn, importance: importance)
    let e1 = squaredError(x, plain, importance: importance)
    let e2 = squaredError(x, weighted, importance: importance)
    let worse = zip(e0, e2).filter { (rtn: Double, searched: Double) -> Bool in searched > rtn * (1 + 1e-5) + 1e-30 }
    XCTAssertEqual(worse.count, 0)
    let t0: Double = e0.reduce(0, +), t1: Double = e1.reduce(0, +), t2: Double = e2.reduce(0, +)
    XCTAssertLessThan(t2, t1 * 0.97, "weighted error: RTN \(t0), search without importance \(t1), with \(t2)")
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

  func checkQ8(_ x: [Float], name: String) -> (rtn: Double, best: Double) {
    var rtn = [UInt8](repeating: 0, count: x.count / 32 * 34), best = rtn
    ssa_quantize_row_q8_0(x, &rtn, Int64(x.count))
    ssa_quantize_row_q8_0_best(x, &best, Int64(x.count))
    let e0 = squaredError(x, rtn, type: SSA_TYPE_Q8_0), e1 = squaredError(x, best, type: SSA_TYPE_Q8_0)
    let worse = zip(e0, e1).filter { (rtn: Double, best: Double) -> Bool in best > rtn * (1 + 1e-6) + 1e-30 }.count
    XCTAssertEqual(worse, 0, "\(name): \(worse) Q8_0 blocks got worse")
    return (e0.reduce(0, +), e1.reduce(0, +))
  }

  /// Q8_0 of the default model's weights (dequantized from Q4_K, Q5_0 and Q6_K blocks, so most of
  /// its 32-blocks sit on grids): the search lands values on codes; and on random data, where no
  /// grid exists, it is still no worse anywhere.
  func testQ8LowerErrorThanRoundToNearest() throws {
    let file = try GGUFFile(path: try ModelStore.ensureDownloadedModel())
    for name in ["blk.0.attn_q.weight", "blk.5.ffn_gate.weight", "blk.23.ffn_down.weight"] {
      let tensor = try XCTUnwrap(file.tensor(named: name))
      var x = [Float](repeating: 0, count: 64 * tensor.rowLength)
      ssa_dequantize_row(Int32(tensor.type.rawValue), file.data(of: tensor).baseAddress, &x, Int64(x.count))
      let (rtn, best) = checkQ8(x, name: name)
      print("\(name) (\(tensor.type.name)): Q8_0 weighted squared error, round-to-nearest \(rtn), searched \(best)")
      XCTAssertLessThan(best, rtn * 0.7, "\(name): RTN \(rtn), searched \(best)")
    }
    var rng = KernelRandom(seed: 8)
    let (rtn, best) = checkQ8(rng.floats(64 * 256), name: "random")
    XCTAssertLessThanOrEqual(best, rtn)
    var zero = [UInt8](repeating: 0xff, count: 34)
    ssa_quantize_row_q8_0_best([Float](repeating: 0, count: 32), &zero, 32)
    XCTAssertEqual(KernelSupport.decode(zero, type: KernelSupport.type(SSA_TYPE_Q8_0), count: 32), [Float](repeating: 0, count: 32))
  }
}
