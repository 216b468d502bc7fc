import XCTest
@testable import SSAKit

/// The JSON-lines pipeline: streaming, bad lines, order, and the line reader underneath.
final class AggregationStreamTests: XCTestCase {
  override func setUp() {
    SignalHandling.reset()
  }

  override class func tearDown() {
    MixedStream.remove()
  }

  func runStream(_ handle: (AggregationRequest) throws -> JSON?) throws -> ([JSON], RecordStream.Summary) {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-out-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: out) }
    let reader = try LineReader(path: MixedStream.file.path)
    let summary = try RecordStream(reader: reader, sink: try OutputSink(path: out.path), progress: nil).run(handle)
    let text = try String(contentsOf: out, encoding: .utf8)
    XCTAssertTrue(text.hasSuffix("\n"))
    let records = try text.split(separator: "\n").map { try JSON.parse(Array($0.utf8)) }
    return (records, summary)
  }

  func testMixedStreamThroughVote() throws {
    let (records, summary) = try runStream { request in
      AggregationResult.majorityVote(samples: request.samples).record(id: request.id)
    }
    MixedStream.check(records)
    XCTAssertEqual(summary.records, MixedStream.lines.count)
    XCTAssertEqual(summary.failed, MixedStream.failures)
    XCTAssertFalse(summary.interrupted)
    XCTAssertEqual(records[0]["source"], .string("majority"))
  }

  func testMixedStreamThroughTheModelPipeline() throws {
    // The scripted model answers the majority, so the expected answers are the same as for the vote.
    let engine = ScriptedEngine { prompt, _ in
      let samples = prompt.segments.filter { $0.kind == .user }.dropFirst().map(\.text)
      return ("<answer>\(MajorityVote(samples: samples).winner!.text)</answer>", .stopSequence)
    }
    let aggregator = Aggregator(engine: engine, options: AggregationOptions(format: .chat))
    let (records, summary) = try runStream { request in
      try aggregator.aggregate(question: request.question, samples: request.samples).record(id: request.id)
    }
    MixedStream.check(records)
    XCTAssertEqual(summary.failed, MixedStream.failures)
    XCTAssertEqual(engine.completions.count, 4)
    XCTAssertTrue(records.filter { $0["error"] == nil }.allSatisfy { $0["source"] == .string("model") })
    // The question's literal <|im_end|> went to the model as user text.
    let withLiteral = try XCTUnwrap(engine.completions.first { $0.prompt.text.contains("Is <|im_end|> special?") })
    XCTAssertEqual(withLiteral.prompt.pieces(specialTokens: PromptFormat.chatSpecialTokens)
      .filter { if case .special = $0 { return true } else { return false } }.count, 5)
  }

  func testAnEngineErrorBecomesThatRecordsErrorAndTheRunGoesOn() throws {
    let engine = ScriptedEngine(contextLength: 60) { _, _ in ("<answer>1</answer>", .stopSequence) }
    let aggregator = Aggregator(engine: engine, options: AggregationOptions())
    let (records, summary) = try runStream { request in
      try aggregator.aggregate(question: request.question, samples: request.samples).record(id: request.id)
    }
    XCTAssertEqual(records.count, MixedStream.lines.count)
    XCTAssertEqual(summary.failed, MixedStream.lines.count)  // every prompt is longer than 60 toy tokens
    guard case .string(let message)? = records[0]["error"] else { return XCTFail("no error record") }
    XCTAssertTrue(message.contains("longer than the model's context of 60 tokens"), message)
    XCTAssertEqual(records[0]["id"], .string("a"))
  }

  func testInterruptStopsAtARecordBoundaryWithFinishedRecordsWritten() throws {
    var seen = 0
    let (records, summary) = try runStream { request in
      seen += 1
      if seen == 2 { SignalHandling.raise() }  // as if Ctrl-C arrived while the second record ran
      return AggregationResult.majorityVote(samples: request.samples).record(id: request.id)
    }
    SignalHandling.reset()
    XCTAssertTrue(summary.interrupted)
    // Lines 1..12 (the second good record is line 12) are all written, nothing after.
    XCTAssertEqual(records.count, 12)
    XCTAssertEqual(records.last?["answer"], .string("2"))
  }

  func testALongLineUnderARaisedLimitIsAnswered() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-long-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: url) }
    var data = Data(#"{"id":"long","question":"q","samples":[""#.utf8)
    data.append(Data(repeating: UInt8(ascii: "y"), count: 20 << 20))
    data.append(Data(#" The answer is 12.","A: 12","A: 13"]}"#.utf8))
    data.append(Data("\n".utf8))
    try data.write(to: url)
    let reader = try LineReader(path: url.path, maxLineBytes: 32 << 20)
    var answers: [JSON?] = []
    let summary = try RecordStream(reader: reader, sink: nil, progress: nil).run { request in
      let record = AggregationResult.majorityVote(samples: request.samples).record(id: request.id)
      answers.append(record["answer"])
      return record
    }
    XCTAssertEqual(summary.failed, 0)
    XCTAssertEqual(answers, [.string("12")])
  }

  func testLineReaderAcrossChunkBoundaries() throws {
    let text = "first\r\nsecond line is longer than a chunk\n\nlast without newline"
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-lines-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(text.utf8).write(to: url)
    for chunk in [16, 17, 64, 1 << 20] {
      let reader = try LineReader(path: url.path, maxLineBytes: 1000, chunkBytes: chunk)
      var lines: [LineReader.Line] = []
      while let line = try reader.next() { lines.append(line) }
      XCTAssertEqual(lines, [.bytes(Array("first".utf8)), .bytes(Array("second line is longer than a chunk".utf8)),
                             .bytes([]), .bytes(Array("last without newline".utf8))], "chunk \(chunk)")
      XCTAssertEqual(reader.lineNumber, 4)
      XCTAssertEqual(reader.bytesConsumed, text.utf8.count)
      XCTAssertEqual(reader.totalBytes, text.utf8.count)
    }
    let limited = try LineReader(path: url.path, maxLineBytes: 20, chunkBytes: 16)
    XCTAssertEqual(try limited.next(), .bytes(Array("first".utf8)))
    XCTAssertEqual(try limited.next(), .tooLong(byteCount: 34))
    XCTAssertEqual(try limited.next(), .bytes([]))
    XCTAssertEqual(try limited.next(), .bytes(Array("last without newline".utf8)))  // exactly at the limit
    XCTAssertNil(try limited.next())
  }

  func testPeekThenReadAll() throws {
    let text = String(repeating: " \n", count: 40) + "Question?\n---\nA: 1\n"
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-peek-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(text.utf8).write(to: url)
    let reader = try LineReader(path: url.path, chunkBytes: 16)
    XCTAssertEqual(try reader.peekFirstNonSpace(), UInt8(ascii: "Q"))
    XCTAssertEqual(try reader.readAll(), Array(text.utf8))
    let request = try AggregationRequest.parse(plainText: Array(text.utf8))
    XCTAssertEqual(request.question, "Question?")
    XCTAssertEqual(request.samples, ["A: 1"])
  }

  func testPlainTextRequests() throws {
    let request = try AggregationRequest.parse(plainText: Array("How many?\n\n---\nFirst sample\nA: 3\n---\r\n  A: 4  \n---\n".utf8))
    XCTAssertEqual(request.question, "How many?")
    XCTAssertEqual(request.samples, ["First sample\nA: 3", "A: 4"])
    XCTAssertEqual(request.id, .null)
    XCTAssertThrowsError(try AggregationRequest.parse(plainText: Array("Only a question\n".utf8))) {
      XCTAssertEqual(($0 as? RequestFailure)?.error, .noPlainTextSamples)
    }
    XCTAssertThrowsError(try AggregationRequest.parse(plainText: [])) {
      XCTAssertEqual(($0 as? RequestFailure)?.error, .emptyInput)
    }
    XCTAssertThrowsError(try AggregationRequest.parse(plainText: Array("---\nA: 4\n".utf8))) {
      XCTAssertEqual(($0 as? RequestFailure)?.error, .emptyQuestion)
    }
    XCTAssertThrowsError(try AggregationRequest.parse(plainText: Array("Q\n---\n".utf8) + [0xC0, 0x80])) {
      XCTAssertEqual(($0 as? RequestFailure)?.error, .invalidUTF8InInput(offset: 6))
    }
  }

  func testUTF8Validation() {
    XCTAssertNil(UTF8Validation.firstInvalidOffset(Array("plain, é, “”, 😀".utf8)))
    XCTAssertEqual(UTF8Validation.firstInvalidOffset([0x61, 0xC0, 0x80]), 1)        // overlong
    XCTAssertEqual(UTF8Validation.firstInvalidOffset([0xED, 0xA0, 0x80]), 0)        // surrogate
    XCTAssertEqual(UTF8Validation.firstInvalidOffset([0xF4, 0x90, 0x80, 0x80]), 0)  // above U+10FFFF
    XCTAssertEqual(UTF8Validation.firstInvalidOffset([0x61, 0x62, 0xE2, 0x82]), 2)  // cut short
    XCTAssertEqual(UTF8Validation.firstInvalidOffset([0x80]), 0)
  }

  func testIdsAndGoldKeepTheirTypes() throws {
    let request = try AggregationRequest.parse(line: Array(#"{"id":[true,1.5,null,"x",7],"question":"q","samples":["s"],"gold":18}"#.utf8))
    XCTAssertEqual(request.id, .array([.bool(true), .double(1.5), .null, .string("x"), .int(7)]))
    XCTAssertEqual(request.id.serialized, #"[true,1.5,null,"x",7]"#)
    XCTAssertEqual(request.gold, "18")
    XCTAssertThrowsError(try AggregationRequest.parse(line: Array(#"{"id":1,"question":"q","samples":["s"],"gold":[1]}"#.utf8))) {
      XCTAssertEqual(($0 as? RequestFailure)?.id, .int(1))
    }
  }
}
