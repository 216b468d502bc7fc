import XCTest
import Foundation
@testable import SSAKit

/// Paths of the committed aggregation fixtures.
enum AggregationFixtures {
  static var directory: URL {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures/aggregation")
  }

  static var devData: URL { directory.appendingPathComponent("gsm8k-samples-dev.jsonl") }

  static func devRequests() throws -> [AggregationRequest] {
    let text = try String(contentsOf: devData, encoding: .utf8)
    return try text.split(separator: "\n").map { try AggregationRequest.parse(line: Array($0.utf8)) }
  }
}

/// A JSON-lines stream mixing good records with every kind of bad line, written once per test run to a
/// temporary file (it holds one line of over 100 MB, which is generated, never committed).
enum MixedStream {
  /// Each input line and what its output record must say: the answer of a good record, or a fragment
  /// of the error message.
  enum Expect {
    case answer(id: JSON, answer: String)
    case error(id: JSON, containing: String)
  }

  /// A valid request of just over 100 MB.
  static let huge: [UInt8] = {
    let head = Array(#"{"id":"big","question":"q","samples":[""#.utf8)
    let tail = Array(#"\nA: 5"]}"#.utf8)
    return head + [UInt8](repeating: UInt8(ascii: "x"), count: 100 * 1024 * 1024 - head.count - tail.count + 17) + tail
  }()

  static let lines: [([UInt8], Expect)] = {
    func line(_ s: String) -> [UInt8] { Array(s.utf8) }
    return [
      (line(#"{"id":"a","question":"q","samples":["So <<2*3=6>>6\nA: 6","A: 7","A: 6"],"gold":"6"}"#), .answer(id: .string("a"), answer: "6")),
      (line("not json at all"), .error(id: .null, containing: "not JSON")),
      (line(#"{"id":"m1","samples":["A: 1"]}"#), .error(id: .string("m1"), containing: "missing field \"question\"")),
      (line(#"{"id":"m2","question":"q"}"#), .error(id: .string("m2"), containing: "missing field \"samples\"")),
      (line(#"{"id":"t1","question":5,"samples":["A: 1"]}"#), .error(id: .string("t1"), containing: "\"question\" must be a string")),
      (line(#"{"id":"t2","question":"q","samples":"A: 1"}"#), .error(id: .string("t2"), containing: "\"samples\" must be an array")),
      (line(#"{"id":"t3","question":"q","samples":["A: 1",null]}"#), .error(id: .string("t3"), containing: "samples[1]")),
      (line(#"{"id":"e","question":"q","samples":[]}"#), .error(id: .string("e"), containing: "no samples")),
      (line(#"{"id":"u","question":"q"#) + [0xFF, 0xFE] + line(#"","samples":["A: 1"]}"#), .error(id: .null, containing: "invalid UTF-8 at byte 23")),
      ([], .error(id: .null, containing: "empty line")),
      (line("[1,2]"), .error(id: .null, containing: "expected a JSON object")),
      (line(#"{"id":{"n":1},"question":"q","samples":["A: 2"],"gold":2}"#), .answer(id: .object([("n", .int(1))]), answer: "2")),
      (huge, .error(id: .null, containing: "line of \(huge.count) bytes")),
      (line(#"{"id":2,"question":"Is <|im_end|> special?","samples":["\\boxed{3}","A: 4","The answer is 3."]}"#), .answer(id: .int(2), answer: "3")),
      (line(#"{"id":3,"question":"q","samples":["A: 8"]}"#), .answer(id: .int(3), answer: "8")),
    ]
  }()

  /// The stream on disk (written on first use; `remove()` deletes it); the last line has no newline,
  /// and the first ends in CRLF.
  static var file: URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-mixed-stream-\(getpid()).jsonl")
    if FileManager.default.fileExists(atPath: url.path) { return url }
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try! FileHandle(forWritingTo: url)
    for (i, (bytes, _)) in lines.enumerated() {
      handle.write(Data(bytes))
      if i == 0 { handle.write(Data([0x0D])) }
      if i < lines.count - 1 { handle.write(Data([0x0A])) }
    }
    try! handle.close()
    return url
  }

  static func remove() {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-mixed-stream-\(getpid()).jsonl")
    try? FileManager.default.removeItem(at: url)
  }

  /// Checks output records against the expectations, one per input line, in order.
  static func check(_ output: [JSON], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(output.count, lines.count, "one record per input line", file: file, line: line)
    for (n, (record, (_, expect))) in zip(output, lines).enumerated() {
      switch expect {
      case .answer(let id, let answer):
        XCTAssertEqual(record["id"], id, "line \(n + 1)", file: file, line: line)
        XCTAssertEqual(record["answer"], .string(answer), "line \(n + 1)", file: file, line: line)
        XCTAssertNil(record["error"], "line \(n + 1)", file: file, line: line)
      case .error(let id, let fragment):
        XCTAssertEqual(record["id"], id, "line \(n + 1)", file: file, line: line)
        XCTAssertEqual(record["line"], .int(n + 1), file: file, line: line)
        guard case .string(let message)? = record["error"] else {
          XCTFail("line \(n + 1): no error in \(record.serialized.prefix(200))", file: file, line: line)
          continue
        }
        XCTAssertTrue(message.contains(fragment), "line \(n + 1): \(message)", file: file, line: line)
      }
    }
  }

  static var failures: Int { lines.filter { if case .error = $0.1 { return true } else { return false } }.count }
}
