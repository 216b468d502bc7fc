import Foundation
import XCTest
@testable import SSAKit

/// The batched engine against the one-sequence path, on the tiny fixture model: the same tokens and
/// scores whatever runs beside a request, across prompt-chunk boundaries, with sequences joining and
/// leaving mid-batch; the memory budget; cancellation.
final class BatchEngineTests: XCTestCase {
  var model: Qwen2Model!
  var tokenizer: Tokenizer!

  override func setUpWithError() throws {
    model = try Qwen2Model(path: TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf"))
    tokenizer = try Tokenizer(gguf: model.file)
  }

  /// Prompts of different lengths that share a start (so prefixes are shared) and then differ.
  func prompts(_ n: Int) -> [[Int]] {
    var rng = RandomGenerator(seed: 9)
    let shared = (0..<12).map { _ in 3 + Int(rng.next() % 400) }
    return (0..<n).map { i in shared + (0..<(3 + (i * 7) % 40)).map { _ in 3 + Int(rng.next() % 400) } }
  }

  func settings(_ i: Int, temperature: Float = 0) -> GenerationSettings {
    GenerationSettings(maxTokens: 5 + (i * 3) % 17, sampling: SamplingSettings(temperature: temperature, topK: 20, seed: UInt64(i)),
                       stopSequences: [], stopTokens: [])
  }

  /// What the one-sequence path (Session + Generator) gives for each prompt.
  func sequential(_ prompts: [[Int]], temperature: Float = 0) throws -> [[Int]] {
    let generator = Generator(model: model, tokenizer: tokenizer)
    return try prompts.enumerated().map { i, p in
      let session = try Session(model: model, capacity: 128, cacheType: .f32)
      return try generator.generate(prompt: p, session: session, settings: settings(i, temperature: temperature)).tokens
    }
  }

  /// Every prompt submitted at once from its own thread.
  func batched(_ prompts: [[Int]], sequences: Int, stepTokens: Int, temperature: Float = 0) throws -> ([[Int]], BatchEngine.Statistics) {
    let engine = BatchEngine(model: model, tokenizer: tokenizer, configuration: .init(
      maxSequences: sequences, stepTokens: stepTokens, cacheType: .f32))
    defer { engine.shutdown() }
    var results = [[Int]?](repeating: nil, count: prompts.count)
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: prompts.count) { i in
      let r = try? engine.generate(prompt: prompts[i], settings: settings(i, temperature: temperature)).tokens
      lock.lock()
      results[i] = r
      lock.unlock()
    }
    return (try results.map { try XCTUnwrap($0) }, engine.statistics)
  }

  func testGreedyTokensDoNotDependOnTheBatch() throws {
    let ps = prompts(16)
    let expected = try sequential(ps)
    for (sequences, step) in [(1, 256), (2, 16), (7, 16), (16, 24), (16, 256)] {
      let (got, stats) = try batched(ps, sequences: sequences, stepTokens: step)
      XCTAssertEqual(got, expected, "\(sequences) sequences, \(step)-token steps")
      XCTAssertLessThanOrEqual(stats.peakSequences, sequences)
      if sequences > 1 { XCTAssertGreaterThan(stats.peakSequences, 1, "never batched") }
      XCTAssertGreaterThan(stats.promptTokensReused, 0, "the shared start was computed again")
    }
  }

  func testSampledTokensDependOnTheSeedOnly() throws {
    let ps = prompts(8)
    let expected = try sequential(ps, temperature: 0.8)
    let (got, _) = try batched(ps, sequences: 5, stepTokens: 16, temperature: 0.8)
    XCTAssertEqual(got, expected)
  }

  func testScoresEqualTheOneSequencePath() throws {
    let engine = BatchEngine(model: model, tokenizer: tokenizer, configuration: .init(maxSequences: 4, stepTokens: 8, cacheType: .f32))
    defer { engine.shutdown() }
    let prompt = prompts(3)[2]
    let continuations = [[7, 8, 9], [10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], []]
    let scores = try engine.score(prompt: prompt, continuations: continuations, hiddenLayers: [1])
    let session = try Session(model: model, capacity: 128, cacheType: .f32)
    try session.capture(layers: [1])
    let last = Array(try session.forward(prompt, logits: .last))
    let end = session.position
    for (c, option) in continuations.enumerated() {
      guard let head = option.first else {
        XCTAssertEqual(scores[c].logProbability, 0)
        continue
      }
      var total = last.withUnsafeBufferPointer { Perplexity.logSoftmax($0, at: head) }
      session.rewind(to: end)
      try session.forward(option, logits: .all({ i, logits in
        if i + 1 < option.count { total += Perplexity.logSoftmax(logits, at: option[i + 1]) }
      }))
      XCTAssertEqual(scores[c].logProbability, total, accuracy: 1e-9, "continuation \(c)")
      XCTAssertEqual(scores[c].tokenCount, option.count)
      XCTAssertEqual(scores[c].hidden, [session.captured(0, row: option.count - 1)], "continuation \(c)")
    }
  }

  func testBudgetLimitsSequencesAndRefusesWhatCanNeverFit() throws {
    let perSequence = BatchEngine(model: model, tokenizer: tokenizer).cacheBytes(capacity: 60)
    let ps = prompts(6)
    // room for the caches of two sequences of about 60 tokens
    let engine = BatchEngine(model: model, tokenizer: tokenizer, configuration: .init(
      maxSequences: 8, stepTokens: 32, memoryBudget: 2 * perSequence + perSequence / 2, cacheType: .f32, retainedPrefixes: 0))
    defer { engine.shutdown() }
    DispatchQueue.concurrentPerform(iterations: ps.count) { i in
      _ = try? engine.generate(prompt: ps[i], settings: settings(i))
    }
    XCTAssertLessThanOrEqual(engine.statistics.peakSequences, 2)
    XCTAssertThrowsError(try engine.generate(prompt: Array(repeating: 5, count: 200), settings: settings(0))) {
      guard case EngineError.overBudget = $0 else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try engine.generate(prompt: [], settings: settings(0)))
    XCTAssertThrowsError(try engine.generate(prompt: [model.config.vocabularySize], settings: settings(0)))
  }

  func testCancelledRequestsFailAndFreeTheirSlot() throws {
    let engine = BatchEngine(model: model, tokenizer: tokenizer, configuration: .init(maxSequences: 1, cacheType: .f32))
    defer { engine.shutdown() }
    // as long as the context allows: it runs until cancelled
    let long = GenerationSettings(maxTokens: model.config.contextLength - 3, stopSequences: [], stopTokens: [])
    let started = DispatchSemaphore(value: 0)
    let failure = Box()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      do {
        _ = try engine.generate(prompt: [5, 6, 7], settings: long) { _ in
          started.signal()
          return true
        }
      } catch { failure.error = error }
      started.signal()
      done.signal()
    }
    started.wait()
    engine.cancelAll()
    done.wait()
    XCTAssertTrue(failure.error is GenerationCancelled, "\(String(describing: failure.error))")
    // the slot is free again
    XCTAssertEqual(try engine.generate(prompt: [5, 6, 7], settings: settings(1)).tokens.count, settings(1).maxTokens)
  }

  func testSchedulerPutsDecodingFirstAndBoundsTheStep() {
    let s = BatchScheduler(maxSequences: 4, stepTokens: 10, memoryBudget: 1000)
    XCTAssertEqual(s.plan(remaining: [1, 30, 1, 5]), [1, 8, 1, 0])
    XCTAssertEqual(s.plan(remaining: [3, 4, 1]), [3, 4, 1])
    XCTAssertEqual(s.plan(remaining: [0, 1]), [0, 1])
    XCTAssertTrue(s.admits(bytes: 400, active: 3, used: 600))
    XCTAssertFalse(s.admits(bytes: 401, active: 3, used: 600))
    XCTAssertFalse(s.admits(bytes: 1, active: 4, used: 0))
    // the step always has room for every decoding sequence
    XCTAssertEqual(BatchScheduler(maxSequences: 16, stepTokens: 4, memoryBudget: 1).stepTokens, 16)
  }
}

private final class Box: @unchecked Sendable {
  var error: Error?
}
