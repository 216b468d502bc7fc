import XCTest
@testable import SSAKit

final class ForwardSmokeTests: XCTestCase {
  func testGreedyOnDefaultModel() throws {
    let model = try Qwen2Model(path: try TestSupport.defaultModelPath())
    let tokens = try XCTUnwrap(model.file["tokenizer.ggml.tokens"]?.strings)
    let vocab = Dictionary(tokens.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    // "The capital of France is" in byte-level BPE pieces
    let pieces = ["The", "Ġcapital", "Ġof", "ĠFrance", "Ġis"]
    var ids = pieces.map { vocab[$0]! }
    let session = try Session(model: model, capacity: 64, cacheType: .f32)
    let start = Date()
    var logits = try session.forward(ids)
    var out: [String] = []
    for _ in 0..<8 {
      let next = Sampler.argmax(logits)
      out.append(tokens[next])
      ids.append(next)
      logits = try session.forward([next])
    }
    XCTAssertEqual(out.first, "ĠParis")
    print("greedy:", out.joined(), Date().timeIntervalSince(start))
  }
}
