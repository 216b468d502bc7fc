import Foundation
import XCTest
@testable import SSAKit

/// The generation loop on the tiny fixture model: stop strings, stop tokens, limits, streaming, and the
/// cached-prefix reuse that lets one run compute a prompt format's instruction text once.
final class GeneratorTests: XCTestCase {
  var model: Qwen2Model!
  var tokenizer: Tokenizer!
  var generator: Generator!
  let prompt = [5, 17, 200, 33, 480, 7, 99]

  override func setUpWithError() throws {
    model = try Qwen2Model(path: TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf"))
    tokenizer = try Tokenizer(gguf: model.file)
    generator = Generator(model: model, tokenizer: tokenizer)
  }

  /// Settings with no stop sequences or tokens unless given (the generation path's defaults stop at
  /// `</answer>` and end-of-text).
  func settings(maxTokens: Int = 512, stopSequences: [String] = [], stopTokens: [String] = []) -> GenerationSettings {
    GenerationSettings(maxTokens: maxTokens, stopSequences: stopSequences, stopTokens: stopTokens)
  }

  func run(_ settings: GenerationSettings, prompt: [Int]? = nil, session: Session? = nil,
           onText: ((String) -> Bool)? = nil) throws -> GenerationResult {
    let s = try session ?? Session(model: model, capacity: 128, cacheType: .f32)
    return try generator.generate(prompt: prompt ?? self.prompt, session: s, settings: settings, onText: onText)
  }

  func testMaxTokensAndStreamedTextEqualsDecode() throws {
    var streamed = ""
    let result = try run(settings(maxTokens: 20)) { piece in
      streamed += piece
      return true
    }
    XCTAssertEqual(result.tokens.count, 20)
    XCTAssertEqual(result.stopReason, .maxTokens)
    XCTAssertEqual(result.text, tokenizer.decode(result.tokens))
    XCTAssertEqual(streamed, result.text)
    XCTAssertEqual(result.promptTokens, prompt.count)
  }

  func testStopsRightAfterStopString() throws {
    let full = try run(settings(maxTokens: 20))
    // A stop string taken from the middle of the free continuation: generation must end right after it.
    let text = full.text
    let start = text.index(text.startIndex, offsetBy: text.count / 3)
    let end = text.index(start, offsetBy: min(4, text.distance(from: start, to: text.endIndex)))
    let stop = String(text[start..<end])
    let first = try XCTUnwrap(text.range(of: stop))
    let stopped = try run(settings(maxTokens: 20, stopSequences: [stop]))
    XCTAssertEqual(stopped.stopReason, .stopSequence)
    XCTAssertEqual(stopped.text, String(text[..<first.upperBound]))
    XCTAssertLessThan(stopped.tokens.count, full.tokens.count)
  }

  func testStopTokenEndsWithoutText() throws {
    let full = try run(settings(maxTokens: 10))
    // a token of the free continuation past its start that has a text of its own (stop tokens are named by text)
    let stopToken = try XCTUnwrap(full.tokens.dropFirst(2).first { tokenizer.tokenText($0) != nil })
    let firstAt = try XCTUnwrap(full.tokens.firstIndex(of: stopToken))
    let stopped = try run(settings(maxTokens: 10, stopTokens: [try XCTUnwrap(tokenizer.tokenText(stopToken))]))
    XCTAssertEqual(stopped.stopReason, .endOfText)
    XCTAssertEqual(stopped.tokens, Array(full.tokens[..<firstAt]))
  }

  func testContextFullStops() throws {
    let session = try Session(model: model, capacity: prompt.count + 5, cacheType: .f32)
    let result = try run(settings(maxTokens: 50), session: session)
    XCTAssertEqual(result.stopReason, .contextFull)
    XCTAssertEqual(result.tokens.count, 6)  // the last sampled token needs no cache slot
    XCTAssertThrowsError(try run(settings(), prompt: Array(repeating: 3, count: 200)))
  }

  func testReusedPrefixGivesTheSameTokens() throws {
    let session = try Session(model: model, capacity: 128, cacheType: .f32)
    let a = try run(settings(maxTokens: 12), session: session)
    // Same prompt start, different tail: only the tail is run again.
    let other = prompt.prefix(5) + [300, 301]
    let b = try run(settings(maxTokens: 12), prompt: Array(other), session: session)
    XCTAssertEqual(b.prefillTokens, 2)
    let fresh = try run(settings(maxTokens: 12), prompt: Array(other))
    XCTAssertEqual(b.tokens, fresh.tokens)
    // Back to the first prompt: its tokens are no longer cached beyond the shared 5.
    let c = try run(settings(maxTokens: 12), session: session)
    XCTAssertEqual(c.prefillTokens, 2)
    XCTAssertEqual(c.tokens, a.tokens)
  }

  func testCancelFromStream() throws {
    var pieces = 0
    let result = try run(settings(maxTokens: 20)) { _ in
      pieces += 1
      return pieces < 3
    }
    XCTAssertEqual(result.stopReason, .cancelled)
    XCTAssertLessThan(result.tokens.count, 20)
  }

  func testBadTokensAreRejected() throws {
    let session = try Session(model: model, capacity: 16)
    XCTAssertThrowsError(try session.forward([1, 100_000])) {
      XCTAssertEqual($0 as? ModelError, .tokenOutOfRange(token: 100_000, vocabularySize: 512))
    }
    XCTAssertThrowsError(try session.forward([])) { XCTAssertEqual($0 as? ModelError, .emptyPrompt) }
    XCTAssertThrowsError(try session.forward(Array(repeating: 1, count: 17))) {
      XCTAssertEqual($0 as? ModelError, .contextOverflow(needed: 17, capacity: 16))
    }
  }
}
