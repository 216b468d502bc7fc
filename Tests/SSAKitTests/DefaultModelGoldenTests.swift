import Foundation
import XCTest
@testable import SSAKit

/// The full-size default model dequantized to F32 against HF transformers loading the same GGUF
/// (fixtures from tools/make-default-model-goldens.py): the tokenizer's ids, the top logits of the
/// first generated positions, and 64 greedy tokens for each of 7 prompts, three of them SSA
/// aggregation prompts of about 1,000 tokens.
final class DefaultModelGoldenTests: XCTestCase {
  struct Golden: Decodable {
    struct Top: Decodable {
      var ids: [Int]
      var logits: [Float]
    }
    struct Prompt: Decodable {
      var name: String
      var text: String
      var parse_special: Bool
      var input_ids: [Int]
      var generated_ids: [Int]
      var top10_first_positions: [Top]
    }
    var prompts: [Prompt]
  }

  nonisolated(unsafe) static var shared: (Qwen2Model, Tokenizer)?

  func model() throws -> (Qwen2Model, Tokenizer) {
    if let shared = Self.shared { return shared }
    let model = try Qwen2Model(path: try TestSupport.originalModelPath(), precision: .f32)
    let loaded = (model, try Tokenizer(gguf: model.file))
    Self.shared = loaded
    return loaded
  }

  func golden() throws -> Golden {
    let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("default-model-greedy.json")))
    return try JSONDecoder().decode(Golden.self, from: data)
  }

  func testGreedyContinuationsMatchTransformers() throws {
    let (model, tokenizer) = try model()
    XCTAssertEqual(model.weights.tiedOutput, false)
    for prompt in try golden().prompts {
      XCTAssertEqual(tokenizer.encode(prompt.text, special: prompt.parse_special), prompt.input_ids, prompt.name)
      let session = try Session(model: model, capacity: prompt.input_ids.count + 64, cacheType: .f32)
      var logits = try session.forward(prompt.input_ids)
      var generated: [Int] = []
      for step in 0..<prompt.generated_ids.count {
        if step < prompt.top10_first_positions.count {
          let top = prompt.top10_first_positions[step]
          for (id, expected) in zip(top.ids, top.logits) {
            XCTAssertEqual(logits[id], expected, accuracy: 2e-3, "\(prompt.name) step \(step) token \(id)")
          }
        }
        let next = Sampler.argmax(logits)
        generated.append(next)
        logits = try session.forward([next])
      }
      XCTAssertEqual(generated, prompt.generated_ids, "\(prompt.name): greedy continuation differs")
    }
  }
}
