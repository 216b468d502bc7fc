import CKernels
import Foundation
import XCTest

@testable import SSAKit

/// Dequantization and the reference quantizers, bit for bit against the gguf package
/// (goldens from tools/kernel_goldens.py).
final class KernelDequantTests: XCTestCase {
  func testTypeTraits() {
    let expected: [(ssa_type, Int64, Int)] = [
      (SSA_TYPE_F32, 1, 4), (SSA_TYPE_F16, 1, 2), (SSA_TYPE_BF16, 1, 2), (SSA_TYPE_Q4_0, 32, 18),
      (SSA_TYPE_Q4_1, 32, 20), (SSA_TYPE_Q5_0, 32, 22), (SSA_TYPE_Q5_1, 32, 24), (SSA_TYPE_Q8_0, 32, 34),
      (SSA_TYPE_Q2_K, 256, 84), (SSA_TYPE_Q3_K, 256, 110), (SSA_TYPE_Q4_K, 256, 144),
      (SSA_TYPE_Q5_K, 256, 176), (SSA_TYPE_Q6_K, 256, 210), (SSA_TYPE_Q8_K, 256, 292),
    ]
    for (t, elems, bytes) in expected {
      XCTAssertEqual(ssa_type_block_elems(KernelSupport.type(t)), elems, "\(t)")
      XCTAssertEqual(ssa_type_block_bytes(KernelSupport.type(t)), bytes, "\(t)")
      // The Swift side's table must agree with the C one.
      if let g = GGMLType(rawValue: t.rawValue) {
        XCTAssertEqual(g.blockSize, Int(elems), "\(t)")
        XCTAssertEqual(g.typeSize, bytes, "\(t)")
      }
    }
    XCTAssertEqual(ssa_type_block_elems(99), 0)
    XCTAssertEqual(ssa_can_dequantize(KernelSupport.type(SSA_TYPE_Q8_K)), 0)
  }

  /// Every type's fixture: blocks from gguf's quantizer on real weights or random valid blocks,
  /// decoded by gguf.quants.dequantize.
  func testDequantizeFixturesMatchGGUF() throws {
    let types: [(String, ssa_type)] = [
      ("F16", SSA_TYPE_F16), ("BF16", SSA_TYPE_BF16), ("Q4_0", SSA_TYPE_Q4_0), ("Q4_1", SSA_TYPE_Q4_1),
      ("Q5_0", SSA_TYPE_Q5_0), ("Q5_1", SSA_TYPE_Q5_1), ("Q8_0", SSA_TYPE_Q8_0), ("Q2_K", SSA_TYPE_Q2_K),
      ("Q3_K", SSA_TYPE_Q3_K), ("Q4_K", SSA_TYPE_Q4_K), ("Q5_K", SSA_TYPE_Q5_K), ("Q6_K", SSA_TYPE_Q6_K),
    ]
    for (name, t) in types {
      let blocks = [UInt8](try KernelSupport.fixture("dequant_\(name).bin"))
      let expected = KernelSupport.floats(try KernelSupport.fixture("dequant_\(name).f32"))
      XCTAssertEqual(ssa_can_dequantize(KernelSupport.type(t)), 1, name)
      let got = KernelSupport.decode(blocks, type: KernelSupport.type(t), count: expected.count)
      var mismatches = 0
      for i in 0..<expected.count where got[i].bitPattern != expected[i].bitPattern {
        if mismatches < 3 { XCTFail("\(name)[\(i)]: \(got[i]) != \(expected[i])") }
        mismatches += 1
      }
      XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(expected.count) values differ")
    }
  }

  func testQuantizeMatchesGGUF() throws {
    for (name, t) in [("Q8_0", SSA_TYPE_Q8_0), ("Q4_0", SSA_TYPE_Q4_0)] {
      let input = KernelSupport.floats(try KernelSupport.fixture("quantize_\(name).f32"))
      let expected = [UInt8](try KernelSupport.fixture("quantize_\(name).bin"))
      let got = KernelSupport.encode(input, type: KernelSupport.type(t), cols: input.count)
      XCTAssertEqual(got.count, expected.count, name)
      let differing = zip(got, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
      XCTAssertEqual(differing.count, 0, "\(name): bytes differ at \(differing.prefix(8))")
    }
  }

  /// The default model's tensors (every type it has: Q4_K, Q5_0, Q6_K, Q8_0, F32) dequantized here
  /// hash to the same SHA-256 as gguf.quants.dequantize's fp32 output.
  func testDequantizeDefaultModelMatchesGGUF() throws {
    let json = try JSONSerialization.jsonObject(with: try KernelSupport.fixture("dequant_default_model.json"))
    let tensors = try XCTUnwrap((json as? [String: Any])?["tensors"] as? [[String: Any]])
    let file = try GGUFFile(path: try ModelStore.ensureDownloadedModel())
    // All 291 tensors when SSA_FULL_TESTS is set; otherwise layers 0 and 23 and the unlayered
    // tensors (the embedding and the output head included), which cover every type of the file.
    let full = ProcessInfo.processInfo.environment["SSA_FULL_TESTS"] != nil
    var checked = Set<String>()
    for entry in tensors {
      let name = try XCTUnwrap(entry["name"] as? String)
      guard full || !name.hasPrefix("blk.") || name.hasPrefix("blk.0.") || name.hasPrefix("blk.23.") else {
        continue
      }
      let tensor = try XCTUnwrap(file.tensor(named: name), name)
      let type = Int32(tensor.type.rawValue)
      XCTAssertEqual(Int(type), entry["type_id"] as? Int, name)
      XCTAssertEqual(ssa_can_dequantize(type), 1, name)
      var values = [Float](repeating: 0, count: tensor.elementCount)
      ssa_dequantize_row(type, file.data(of: tensor).baseAddress, &values, Int64(values.count))
      let digest = values.withUnsafeBytes { KernelSupport.sha256($0) }
      XCTAssertEqual(digest, entry["sha256"] as? String, "\(name) (\(tensor.type))")
      checked.insert(entry["type"] as? String ?? "?")
    }
    XCTAssertEqual(checked, ["F32", "Q4_K", "Q5_0", "Q6_K", "Q8_0"])
  }
}
