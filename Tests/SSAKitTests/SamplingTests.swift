import CKernels
import Foundation
import XCTest
@testable import SSAKit

final class SamplingTests: XCTestCase {
  func sample(_ logits: [Float], _ settings: SamplingSettings, draws: Int) -> [Int: Int] {
    var sampler = Sampler(settings)
    var counts: [Int: Int] = [:]
    logits.withUnsafeBufferPointer { buffer in
      for _ in 0..<draws { counts[sampler.sample(buffer), default: 0] += 1 }
    }
    return counts
  }

  func testGreedyIsArgmaxFirstOnTies() {
    let logits: [Float] = [0.5, 3, -1, 3, 2]
    XCTAssertEqual(sample(logits, .greedy, draws: 5), [1: 5])
    XCTAssertEqual(sample(logits, SamplingSettings(temperature: 1, topK: 1), draws: 5), [1: 5])
  }

  func testTemperatureFollowsTheSoftmax() {
    let logits: [Float] = [log(0.5), log(0.3), log(0.2)]
    let counts = sample(logits, SamplingSettings(temperature: 1, seed: 3), draws: 20_000)
    XCTAssertEqual(Double(counts[0]!) / 20_000, 0.5, accuracy: 0.02)
    XCTAssertEqual(Double(counts[1]!) / 20_000, 0.3, accuracy: 0.02)
    XCTAssertEqual(Double(counts[2]!) / 20_000, 0.2, accuracy: 0.02)
    // A low temperature sharpens: 0.5^(1/0.25) : 0.3^4 : 0.2^4 = 0.0625 : 0.0081 : 0.0016.
    let sharp = sample(logits, SamplingSettings(temperature: 0.25, seed: 3), draws: 20_000)
    XCTAssertEqual(Double(sharp[0]!) / 20_000, 0.0625 / 0.0722, accuracy: 0.02)
  }

  func testTopKAndTopPRestrictTheCandidates() {
    let logits: [Float] = [log(0.4), log(0.3), log(0.2), log(0.1)]
    XCTAssertEqual(Set(sample(logits, SamplingSettings(temperature: 1, topK: 2, seed: 1), draws: 2000).keys), [0, 1])
    // Top-p 0.65 keeps 0.4 + 0.3 (the smallest prefix reaching it).
    XCTAssertEqual(Set(sample(logits, SamplingSettings(temperature: 1, topP: 0.65, seed: 1), draws: 2000).keys), [0, 1])
    XCTAssertEqual(Set(sample(logits, SamplingSettings(temperature: 1, topP: 0.4, seed: 1), draws: 200).keys), [0])
  }

  func testSameSeedSameDraws() {
    let logits: [Float] = (0..<1000).map { Float(sin(Double($0))) * 3 }
    let a = sample(logits, SamplingSettings(temperature: 0.8, topK: 40, topP: 0.9, seed: 99), draws: 500)
    let b = sample(logits, SamplingSettings(temperature: 0.8, topK: 40, topP: 0.9, seed: 99), draws: 500)
    XCTAssertEqual(a, b)
  }

  /// Same seed and settings give the same text at 1 and 2 threads, on the real default model.
  func testSameTextAtOneAndTwoThreads() throws {
    let model = try Qwen2Model(path: try TestSupport.defaultModelPath())
    let tokenizer = try Tokenizer(gguf: model.file)
    let generator = Generator(model: model, tokenizer: tokenizer)
    let prompt = tokenizer.encode("Question: Tom has 3 apples and buys 5 more. How many apples does he have?\nAnswer:", special: false)
    let settings = GenerationSettings(
      maxTokens: 24, sampling: SamplingSettings(temperature: 0.9, topK: 40, topP: 0.95, seed: 42),
      stopSequences: [], stopTokens: generator.defaultStopTokens)
    var texts: [String] = []
    let saved = ssa_get_threads()
    defer { ssa_set_threads(saved) }
    for threads: Int32 in [1, 2, 1] {
      ssa_set_threads(threads)
      let session = try Session(model: model, capacity: 128)
      texts.append(try generator.generate(prompt: prompt, session: session, settings: settings).text)
    }
    XCTAssertFalse(texts[0].isEmpty)
    XCTAssertEqual(texts[0], texts[1])
    XCTAssertEqual(texts[0], texts[2])
  }
}
