import Foundation
import XCTest
@testable import SSAKit

/// The reader on the real default model and on a file written by llama.cpp's `gguf` package.
final class GGUFReaderTests: XCTestCase {
  func testDefaultModel() throws {
    let gguf = try GGUFFile(path: try TestSupport.originalModelPath())
    XCTAssertEqual(gguf.version, 3)
    XCTAssertEqual(gguf.tensors.count, 291)
    XCTAssertEqual(gguf.architecture, "qwen2")
    XCTAssertEqual(gguf["qwen2.block_count"]?.int, 24)
    XCTAssertEqual(gguf["qwen2.attention.head_count"]?.int, 14)
    XCTAssertEqual(gguf["qwen2.attention.head_count_kv"]?.int, 2)
    XCTAssertEqual(gguf["qwen2.embedding_length"]?.int, 896)
    XCTAssertEqual(gguf["qwen2.feed_forward_length"]?.int, 4864)
    XCTAssertEqual(gguf["qwen2.rope.freq_base"]?.double, 1_000_000)
    XCTAssertEqual(gguf["qwen2.attention.layer_norm_rms_epsilon"], .float32(1e-6))
    XCTAssertEqual(gguf["tokenizer.ggml.model"]?.string, "gpt2")
    let tokens = try XCTUnwrap(gguf["tokenizer.ggml.tokens"]?.strings)
    XCTAssertEqual(tokens.count, 151_936)
    XCTAssertEqual(tokens[0], "!")
    XCTAssertEqual(tokens[151_643], "<|endoftext|>")
    XCTAssertEqual(tokens[151_645], "<|im_end|>")
    XCTAssertEqual(gguf["tokenizer.ggml.merges"]?.array?.count, 151_387)
    XCTAssertEqual(gguf["tokenizer.ggml.eos_token_id"]?.int, 151_645)
    XCTAssertEqual(gguf["tokenizer.ggml.add_bos_token"], .bool(false))
    XCTAssertEqual(gguf.alignment, 32)

    let embedding = try XCTUnwrap(gguf.tensor(named: "token_embd.weight"))
    XCTAssertEqual(embedding.type, .q5_0)
    XCTAssertEqual(embedding.shape, [896, 151_936])
    XCTAssertEqual(embedding.byteCount, 151_936 * 896 / 32 * 22)
    let output = try XCTUnwrap(gguf.tensor(named: "output.weight"))
    XCTAssertEqual(output.type, .q8_0)
    let down = try XCTUnwrap(gguf.tensor(named: "blk.0.ffn_down.weight"))
    XCTAssertEqual(down.type, .q6_K)
    XCTAssertEqual(down.shape, [4864, 896])
    XCTAssertEqual(gguf.tensor(named: "blk.23.attn_k.bias")?.shape, [128])
    XCTAssertEqual(gguf.tensor(named: "blk.23.attn_k.bias")?.type, .f32)
    XCTAssertEqual(Set(gguf.tensors.map(\.type)), [.f32, .q4_K, .q5_0, .q6_K, .q8_0])
    XCTAssertEqual(gguf.tensors.filter { $0.type == .q4_K }.count, 12)

    // Tensor data is a view into the mapping at the tensor's file offset: no copy.
    let norm = try XCTUnwrap(gguf.tensor(named: "output_norm.weight"))
    let view = gguf.data(of: norm)
    let first = gguf.data(of: gguf.tensors[0])
    XCTAssertEqual(view.baseAddress! - first.baseAddress!, norm.fileOffset - gguf.tensors[0].fileOffset)
    XCTAssertEqual(norm.fileOffset + norm.byteCount, gguf.fileSize)
    let weights = view.bindMemory(to: Float.self)
    XCTAssertTrue(weights.allSatisfy { $0.isFinite && $0 != 0 })
    XCTAssertEqual(gguf.parameterCount, gguf.tensors.reduce(0) { $0 + $1.elementCount })
  }

  func testReadsPythonWrittenFile() throws {
    let gguf = try GGUFFile(path: TestSupport.fixture("gguf/reference.gguf"))
    XCTAssertEqual(gguf.alignment, 64)
    XCTAssertEqual(gguf["general.architecture"], .string("qwen2"))
    XCTAssertEqual(gguf["test.u8"], .uint8(200))
    XCTAssertEqual(gguf["test.i8"], .int8(-100))
    XCTAssertEqual(gguf["test.u16"], .uint16(60000))
    XCTAssertEqual(gguf["test.i16"], .int16(-30000))
    XCTAssertEqual(gguf["test.u32"], .uint32(4_000_000_000))
    XCTAssertEqual(gguf["test.i32"], .int32(-2_000_000_000))
    XCTAssertEqual(gguf["test.f32"], .float32(0.15625))
    XCTAssertEqual(gguf["test.bool"], .bool(true))
    XCTAssertEqual(gguf["test.string"], .string("héllo wörld ✓ 中文 🙂"))
    XCTAssertEqual(gguf["test.u64"], .uint64(18_000_000_000_000_000_000))
    XCTAssertEqual(gguf["test.i64"], .int64(-9_000_000_000_000_000_000))
    XCTAssertEqual(gguf["test.f64"], .float64(-2.5e-300))
    XCTAssertEqual(gguf["test.array_i32"], .array(.int32, [.int32(1), .int32(-2), .int32(3)]))
    XCTAssertEqual(gguf["test.array_f32"], .array(.float32, [.float32(0.5), .float32(-1.25)]))
    XCTAssertEqual(gguf["test.array_strings"]?.strings, ["a", "Ġb", "", "<|im_end|>"])
    XCTAssertEqual(gguf["test.array_bool"], .array(.bool, [.bool(true), .bool(false), .bool(true)]))
    XCTAssertEqual(
      gguf["test.array_nested"],
      .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])]))
    XCTAssertEqual(gguf.tensors.map(\.name), ["t.f32", "t.f16", "t.vec", "t.q8_0", "t.i32"])
    XCTAssertEqual(gguf.tensors.map(\.type), [.f32, .f16, .f32, .q8_0, .i32])
    XCTAssertEqual(gguf.tensors.map(\.shape), [[5, 3], [64, 2], [7], [64, 4], [3, 2]])
    XCTAssertEqual(gguf.tensors.map(\.byteCount), [60, 256, 28, 272, 24])
    let ints = gguf.data(of: gguf.tensor(named: "t.i32")!).bindMemory(to: Int32.self)
    XCTAssertEqual(Array(ints), [0, 1, 2, 3, 4, 5])
  }

  /// `read` copies a tensor's bytes without touching the mapping: the same bytes as the mapped view,
  /// from a mapped file and from caller-held bytes alike, and no read outside the tensor.
  func testReadCopiesTensorBytes() throws {
    let path = TestSupport.fixture("gguf/reference.gguf")
    let mapped = try GGUFFile(path: path)
    let contents = try Data(contentsOf: URL(fileURLWithPath: path))
    try contents.withUnsafeBytes { raw in
      let held = try GGUFFile(bytes: raw, path: path)
      for gguf in [mapped, held] {
        for t in gguf.tensors {
          let expected = Array(gguf.data(of: t))
          var whole = [UInt8](repeating: 0, count: t.byteCount)
          XCTAssertTrue(whole.withUnsafeMutableBytes { gguf.read(t, offset: 0, count: t.byteCount, into: $0.baseAddress!) })
          XCTAssertEqual(whole, expected, t.name)
          var tail = [UInt8](repeating: 0, count: 4)
          XCTAssertTrue(tail.withUnsafeMutableBytes { gguf.read(t, offset: t.byteCount - 4, count: 4, into: $0.baseAddress!) })
          XCTAssertEqual(tail, Array(expected.suffix(4)), t.name)
          XCTAssertFalse(tail.withUnsafeMutableBytes { gguf.read(t, offset: t.byteCount - 3, count: 4, into: $0.baseAddress!) },
                         "\(t.name): past the end")
          XCTAssertFalse(tail.withUnsafeMutableBytes { gguf.read(t, offset: -1, count: 1, into: $0.baseAddress!) })
        }
      }
    }
  }
}
