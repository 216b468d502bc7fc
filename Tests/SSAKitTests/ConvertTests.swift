import Foundation
import XCTest
@testable import SSAKit

/// `ssa convert` on the tiny HF fixtures: every output type, every input form, against transformers'
/// goldens and llama.cpp's `gguf` reader.
final class ConvertTests: XCTestCase {
  let tiny = TestSupport.fixture("tiny-qwen2")

  func convert(_ input: String, _ type: GGMLType, embedding: GGMLType? = nil, head: GGMLType? = nil,
               format: String? = nil) throws -> GGUFFile {
    var options = ConvertOptions()
    options.outputType = type
    options.embeddingType = embedding
    options.headType = head
    options.promptFormat = format
    let out = TestSupport.temporaryDirectory() + "/out-\(type.name).gguf"
    try Converter(input: input, options: options).write(to: out)
    return try GGUFFile(path: out)
  }

  func testEveryOutputType() throws {
    for type in ConvertOptions.outputTypes {
      for variant in ["tied", "untied"] {
        let file = try convert("\(tiny)/\(variant)", type)
        let reference = try GGUFFile(path: "\(tiny)/\(variant)/tiny-qwen2-\(variant)-f32.gguf")
        XCTAssertEqual(Set(file.tensors.map(\.name)), Set(reference.tensors.map(\.name)), "\(variant) \(type.name)")
        for t in file.tensors {
          let expected: GGMLType
          if t.shape.count == 1 {
            expected = .f32
          } else if type == .q4_0 && (t.name == "output.weight" || (variant == "tied" && t.name == "token_embd.weight")) {
            expected = .q8_0  // the head, as llama-quantize keeps it
          } else {
            expected = type
          }
          XCTAssertEqual(t.type, expected, "\(variant) \(type.name) \(t.name)")
          XCTAssertEqual(t.shape, reference.tensor(named: t.name)?.shape)
        }
        XCTAssertEqual(file["general.architecture"]?.string, "qwen2")
        XCTAssertEqual(file["qwen2.block_count"]?.int, 2)
        XCTAssertEqual(file["qwen2.attention.head_count_kv"]?.int, 2)
        XCTAssertEqual(file["tokenizer.ggml.tokens"]?.strings, reference["tokenizer.ggml.tokens"]?.strings)
        XCTAssertEqual(file["tokenizer.ggml.merges"]?.strings, reference["tokenizer.ggml.merges"]?.strings)
        XCTAssertEqual(file["ssa.prompt_format"]?.string, "ssa")
        XCTAssertEqual(file["general.file_type"]?.int, [GGMLType.f32: 0, .f16: 1, .q4_0: 2, .q8_0: 7, .bf16: 32][type])
        try checkWithPythonReader(file)
        // Every output runs: greedy tokens of the quantized files stay valid ids.
        let model = try Qwen2Model(file: file)
        let session = try Session(model: model, capacity: 16)
        let logits = try session.forward([1, 2, 3])
        XCTAssertTrue(logits.allSatisfy(\.isFinite))
      }
    }
  }

  /// F32 output: the same tensor bytes and metadata as the fixture GGUF that llama.cpp's own
  /// convert_hf_to_gguf.py was checked against, hence transformers' logits.
  func testF32MatchesReferenceAndGoldens() throws {
    for variant in ["tied", "untied"] {
      let file = try convert("\(tiny)/\(variant)", .f32)
      let reference = try GGUFFile(path: "\(tiny)/\(variant)/tiny-qwen2-\(variant)-f32.gguf")
      for t in reference.tensors {
        let ours = try XCTUnwrap(file.tensor(named: t.name))
        XCTAssertEqual(Array(file.data(of: ours)), Array(reference.data(of: t)), "\(variant) \(t.name)")
      }
      for (key, value) in reference.metadata where key != "general.name" {
        XCTAssertEqual(file[key], value, "\(variant) \(key)")
      }
      let golden = try JSONDecoder().decode(
        ForwardGoldenTests.Golden.self,
        from: Data(contentsOf: URL(fileURLWithPath: "\(tiny)/goldens-\(variant).json")))
      let model = try Qwen2Model(file: file)
      let prompt = golden.prompts[2]
      let session = try Session(model: model, capacity: 64, cacheType: .f32)
      let logits = try session.forward(prompt.input_ids)
      let expected = prompt.logits[prompt.logits_positions.firstIndex(of: prompt.input_ids.count - 1)!]
      let scale = expected.map(abs).max()!
      for (a, b) in zip(logits, expected) { XCTAssertEqual(a, b, accuracy: 1e-4 * scale) }
    }
  }

  /// The 5.x config form, a sharded checkpoint and BF16 weights read as the plain forms do.
  func testInputForms() throws {
    func bytes(_ f: GGUFFile) -> [String: [UInt8]] {
      Dictionary(uniqueKeysWithValues: f.tensors.map { ($0.name, Array(f.data(of: $0))) })
    }
    XCTAssertEqual(bytes(try convert("\(tiny)/tied-v5", .f32)), bytes(try convert("\(tiny)/tied", .f32)))
    XCTAssertEqual(bytes(try convert("\(tiny)/untied-sharded", .q8_0)), bytes(try convert("\(tiny)/untied", .q8_0)))
    // BF16 weights kept as they are (no round trip through F32 changes a bit).
    let bf16 = try convert("\(tiny)/tied-bf16", .bf16)
    let source = try SafetensorsFile(path: "\(tiny)/tied-bf16/model.safetensors")
    let q = try XCTUnwrap(source.tensors["model.layers.1.self_attn.q_proj.weight"])
    var raw = [UInt8](repeating: 0, count: q.byteCount)
    try raw.withUnsafeMutableBytes { try source.read(q, offset: 0, count: q.byteCount, into: $0.baseAddress!) }
    XCTAssertEqual(Array(bf16.data(of: bf16.tensor(named: "blk.1.attn_q.weight")!)), raw)
  }

  func testGGUFInputAndPromptFormat() throws {
    let q8 = try convert("\(tiny)/untied/tiny-qwen2-untied-f32.gguf", .q8_0, format: "answer")
    XCTAssertEqual(q8["ssa.prompt_format"]?.string, "answer")
    XCTAssertEqual(q8.tensor(named: "blk.0.ffn_up.weight")?.type, .q8_0)
    // Re-converting keeps the recorded format unless told otherwise.
    let out = TestSupport.temporaryDirectory() + "/again.gguf"
    var options = ConvertOptions()
    options.outputType = .f16
    try Converter(input: q8.path, options: options).write(to: out)
    XCTAssertEqual(try GGUFFile(path: out)["ssa.prompt_format"]?.string, "answer")
  }

  func testQ4HeadAndEmbeddingChoice() throws {
    let low = try convert("\(tiny)/untied", .q4_0, head: .q4_0)
    XCTAssertEqual(low.tensor(named: "token_embd.weight")?.type, .q4_0)
    XCTAssertEqual(low.tensor(named: "output.weight")?.type, .q4_0)
    let high = try convert("\(tiny)/untied", .q4_0, embedding: .q8_0)
    XCTAssertEqual(high.tensor(named: "token_embd.weight")?.type, .q8_0)
    XCTAssertEqual(high.tensor(named: "output.weight")?.type, .q8_0)
    let tied = try convert("\(tiny)/tied", .q4_0, embedding: .f16)
    XCTAssertEqual(tied.tensor(named: "token_embd.weight")?.type, .q8_0, "a tied embedding is the head")
  }

  /// What llama.cpp's `gguf` package reads from the file equals what our reader reads.
  func checkWithPythonReader(_ file: GGUFFile, line: UInt = #line) throws {
    let result = try TestSupport.run(["python3", TestSupport.tool("check-gguf.py"), file.path])
    XCTAssertEqual(result.status, 0, result.stderr, line: line)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let metadata = try XCTUnwrap(object["metadata"] as? [String: [Any]])
    XCTAssertEqual(Set(metadata.keys), Set(file.metadata.map(\.key)), line: line)
    for (key, value) in file.metadata {
      let python = try XCTUnwrap(metadata[key], key)
      XCTAssertEqual(python[0] as? String, value.type.name, key, line: line)
      switch value {
      case .string(let s): XCTAssertEqual(python[1] as? String, s, key, line: line)
      case .array(.string, _): XCTAssertEqual(python[1] as? [String], value.strings, key, line: line)
      case .array: XCTAssertEqual((python[1] as? [NSNumber])?.map(\.doubleValue), value.array?.compactMap(\.double), key, line: line)
      default: XCTAssertEqual((python[1] as? NSNumber)?.doubleValue, value.double, key, line: line)
      }
    }
    let tensors = try XCTUnwrap(object["tensors"] as? [[String: Any]])
    XCTAssertEqual(tensors.map { $0["name"] as? String }, file.tensors.map(\.name), line: line)
    for (python, t) in zip(tensors, file.tensors) {
      XCTAssertEqual(python["type"] as? String, t.type.name, line: line)
      XCTAssertEqual(python["shape"] as? [Int], t.shape, line: line)
      XCTAssertEqual(python["bytes"] as? Int, t.byteCount, line: line)
      XCTAssertEqual(python["sha256"] as? String, TestSupport.sha256(file.data(of: t)), t.name, line: line)
    }
  }
}
