import Foundation
import XCTest
@testable import SSAKit

/// The forward pass against HF transformers (fp32, eager attention) on a tiny random Qwen2 with biases,
/// random norms, GQA, tied and untied heads (fixtures from tools/make-tiny-qwen2.py).
final class ForwardGoldenTests: XCTestCase {
  struct Golden: Decodable {
    struct Prompt: Decodable {
      var name: String
      var text: String?
      var parse_special: Bool?
      var input_ids: [Int]
      var logits_positions: [Int]
      var logits: [[Float]]
      var greedy_ids: [Int]
    }
    var prompts: [Prompt]
  }

  func load(_ variant: String) throws -> (Qwen2Model, Golden) {
    let model = try Qwen2Model(
      path: TestSupport.fixture("tiny-qwen2/\(variant)/tiny-qwen2-\(variant)-f32.gguf"), precision: .f32)
    let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("tiny-qwen2/goldens-\(variant).json")))
    return (model, try JSONDecoder().decode(Golden.self, from: data))
  }

  /// max |ours - reference| over a row, relative to the row's largest reference magnitude.
  func relativeError(_ ours: UnsafeBufferPointer<Float>, _ reference: [Float]) -> Float {
    var worst: Float = 0, scale: Float = 0
    for (a, b) in zip(ours, reference) {
      worst = max(worst, abs(a - b))
      scale = max(scale, abs(b))
    }
    return worst / max(scale, 1e-6)
  }

  func checkVariant(_ variant: String, cacheType: GGMLType, tolerance: Float, greedy: Bool) throws {
    let (model, golden) = try load(variant)
    XCTAssertEqual(model.weights.tiedOutput, variant.hasPrefix("tied"))
    let tokenizer = try Tokenizer(gguf: model.file)
    for prompt in golden.prompts {
      if let text = prompt.text {
        XCTAssertEqual(tokenizer.encode(text, special: prompt.parse_special ?? false), prompt.input_ids, prompt.name)
      }
      let session = try Session(model: model, capacity: prompt.input_ids.count + 32, chunk: 64, cacheType: cacheType)
      var worst: Float = 0
      var checked = 0
      try session.forward(prompt.input_ids, logits: .all({ position, logits in
        guard let k = prompt.logits_positions.firstIndex(of: position) else { return }
        worst = max(worst, self.relativeError(logits, prompt.logits[k]))
        checked += 1
      }))
      XCTAssertEqual(checked, prompt.logits_positions.count)
      XCTAssertLessThanOrEqual(worst, tolerance, "\(variant) \(prompt.name): relative logit error \(worst)")
      guard greedy else { continue }
      session.rewind(to: 0)
      var logits = try session.forward(prompt.input_ids)
      var generated: [Int] = []
      for _ in 0..<prompt.greedy_ids.count {
        let next = Sampler.argmax(logits)
        generated.append(next)
        logits = try session.forward([next])
      }
      XCTAssertEqual(generated, prompt.greedy_ids, "\(variant) \(prompt.name): greedy continuation")
    }
  }

  func testTiedMatchesTransformers() throws {
    try checkVariant("tied", cacheType: .f32, tolerance: 1e-4, greedy: true)
  }

  func testUntiedMatchesTransformers() throws {
    try checkVariant("untied", cacheType: .f32, tolerance: 1e-4, greedy: true)
  }

  /// The F16 KV cache (the fast default) stays close: logits within 2e-3 relative.
  func testF16CacheStaysClose() throws {
    try checkVariant("untied", cacheType: .f16, tolerance: 2e-3, greedy: false)
  }

  /// Prefill in chunks of 1, 7 and 64 tokens gives the same logits as one batch, bit for bit.
  func testChunkingDoesNotChangeResults() throws {
    let (model, golden) = try load("tied")
    let ids = try XCTUnwrap(golden.prompts.max { $0.input_ids.count < $1.input_ids.count }).input_ids
    var reference: [Float] = []
    for chunk in [64, 7, 1] {
      let session = try Session(model: model, capacity: ids.count, chunk: chunk, cacheType: .f32)
      let logits = Array(try session.forward(ids))
      if reference.isEmpty { reference = logits } else { XCTAssertEqual(logits, reference, "chunk \(chunk)") }
    }
  }

  /// The last layer runs its attention and MLP only on the rows whose logits are read, and still
  /// writes every token's keys and values: the last logits equal the last row of `.all`, and a
  /// prefill without logits (`.none`, whose last layer stops at the cache write) continued by one
  /// token gives the logits of one call, bit for bit.
  func testOnlyOutputRowsLeaveTheLastLayer() throws {
    let (model, golden) = try load("tied")
    let ids = try XCTUnwrap(golden.prompts.max { $0.input_ids.count < $1.input_ids.count }).input_ids
    let one = try Session(model: model, capacity: ids.count, chunk: 64, cacheType: .f32)
    let last = Array(try one.forward(ids))  // (the logits live in the session's buffers)
    var rows: [Int: [Float]] = [:]
    let all = try Session(model: model, capacity: ids.count, chunk: 64, cacheType: .f32)
    try all.forward(ids, logits: .all({ position, logits in rows[position] = Array(logits) }))
    XCTAssertEqual(rows.count, ids.count)
    XCTAssertTrue(rows[ids.count - 1] == last, "the last row of .all differs from .last")
    for chunk in [64, 5] {
      let session = try Session(model: model, capacity: ids.count, chunk: chunk, cacheType: .f32)
      try session.forward(Array(ids.dropLast()), logits: .none)
      XCTAssertTrue(Array(try session.forward([ids.last!])) == last, ".none then one token differs, chunk \(chunk)")
    }
  }
}
