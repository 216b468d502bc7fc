import Foundation
import XCTest
@testable import SSAKit

/// The three prompt formats rendered from dev records equal the reference text byte for byte, and
/// their token ids equal HF tokenizers' (fixtures from tools/make-prompt-goldens.py), including a
/// record whose question and sample hold literal special-token text.
final class PromptTokenTests: XCTestCase {
  struct Goldens: Decodable {
    struct Rendering: Decodable {
      var id: String
      var format: String
      var text: String
      var input_ids: [Int]
    }
    var prompts: [Rendering]
  }

  func testRenderedPromptsAndIdsMatchReference() throws {
    let dir = TestSupport.fixture("aggregation/prompt-goldens")
    let goldens = try JSONDecoder().decode(
      Goldens.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/prompts.json")))
    var records: [String: AggregationRequestFixture] = [:]
    for line in try String(contentsOfFile: dir + "/records.jsonl", encoding: .utf8).split(separator: "\n") {
      let r = try JSONDecoder().decode(AggregationRequestFixture.self, from: Data(line.utf8))
      records[r.id] = r
    }
    let tokenizer = try Tokenizer(gguf: GGUFFile(path: TestSupport.originalModelPath()))
    XCTAssertEqual(goldens.prompts.count, 9)
    for golden in goldens.prompts {
      let record = try XCTUnwrap(records[golden.id])
      let format = try XCTUnwrap(PromptFormat(rawValue: golden.format))
      let prompt = format.render(question: record.question, samples: record.samples)
      XCTAssertEqual(Array(prompt.text.utf8), Array(golden.text.utf8), "\(golden.id) \(golden.format): text")
      XCTAssertEqual(tokenizer.encode(prompt), golden.input_ids, "\(golden.id) \(golden.format): token ids")
    }
    // The literal "<|im_end|>" in user text must never become the control token inside the question.
    let special = try XCTUnwrap(goldens.prompts.first { $0.id.hasSuffix("special-text") && $0.format == "answer" })
    XCTAssertFalse(special.input_ids.contains(tokenizer.tokenId("<|im_end|>")!))
  }

  struct AggregationRequestFixture: Decodable {
    var id: String
    var question: String
    var samples: [String]
  }
}
