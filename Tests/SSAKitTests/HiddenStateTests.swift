import XCTest
@testable import SSAKit

/// The hidden states the probe reads: `Session.capture(layers:)` keeps each layer's output, and the
/// last layer's, put through the final norm and the output head, must give the logits `forward`
/// returns (on the tiny F32 fixture, so the check is exact up to float rounding).
final class HiddenStateTests: XCTestCase {
  func testLastLayerOutputGivesTheLogits() throws {
    let model = try Qwen2Model(path: TestSupport.fixture("tiny-qwen2/tied/tiny-qwen2-tied-f32.gguf"))
    let c = model.config
    let session = try Session(model: model, capacity: 32, cacheType: .f32)
    try session.capture(layers: [0, c.layerCount - 1])
    let tokens = [5, 17, 42, 3, 99]
    var all: [[Float]] = []
    try session.forward(tokens, logits: .all({ _, logits in all.append(Array(logits)) }))
    let file = model.file
    let norm = try XCTUnwrap(file.tensor(named: "output_norm.weight"))
    let head = try XCTUnwrap(file.tensor(named: "output.weight") ?? file.tensor(named: "token_embd.weight"))
    let g = Array(file.data(of: norm).bindMemory(to: Float.self))
    let w = Array(file.data(of: head).bindMemory(to: Float.self))
    for row in tokens.indices {
      let h = session.captured(1, row: row)
      XCTAssertEqual(h.count, c.hiddenSize)
      let rms = (h.reduce(Float(0)) { $0 + $1 * $1 } / Float(h.count) + c.rmsEpsilon).squareRoot()
      let x = h.indices.map { h[$0] / rms * g[$0] }
      for v in stride(from: 0, to: c.vocabularySize, by: 37) {
        var z: Float = 0
        for j in 0..<c.hiddenSize { z += w[v * c.hiddenSize + j] * x[j] }
        XCTAssertEqual(z, all[row][v], accuracy: 1e-3 * max(1, abs(z)), "row \(row) token \(v)")
      }
      // the first layer's output is a different vector
      XCTAssertNotEqual(session.captured(0, row: row), h)
    }
    XCTAssertThrowsError(try session.capture(layers: [c.layerCount])) {
      XCTAssertEqual($0 as? ModelError, .noSuchLayer(c.layerCount, layerCount: c.layerCount))
    }
  }

  /// The engine's scores carry the hidden state after each continuation's last token, and the same
  /// log-probabilities with or without it.
  func testScoresWithAndWithoutHiddenStatesAgree() throws {
    let model = try Qwen2Model(path: TestSupport.fixture("tiny-qwen2/tied/tiny-qwen2-tied-f32.gguf"))
    let engine = ModelEngine(model: model, tokenizer: try Tokenizer(gguf: model.file), cacheType: .f32)
    let prompt = PromptFormat.answer.render(question: "What is 2 + 2?", samples: ["A: 4", "A: 5"])
    let continuations = ["4", "5", "22"].map { PromptFormat.answer.choiceContinuation($0) }
    let encoded = try engine.encode(prompt)
    let plain = try engine.score(continuations, after: encoded, hiddenLayers: [])
    let probed = try engine.score(continuations, after: encoded, hiddenLayers: [1, 0])
    XCTAssertEqual(plain.map(\.tokenCount), probed.map(\.tokenCount))
    for (a, b) in zip(plain, probed) {
      XCTAssertEqual(a.logProbability, b.logProbability, accuracy: 1e-4)
      XCTAssertTrue(a.hidden.isEmpty)
      XCTAssertEqual(b.hidden.count, 2)
      XCTAssertEqual(b.hidden[0].count, model.config.hiddenSize)
    }
    XCTAssertNotEqual(probed[0].hidden[0], probed[1].hidden[0])
  }
}
