import XCTest
@testable import SSAKit

/// `ssa aggregate --parallel N` and `ssa eval --parallel N` with the real default model: every record
/// byte for byte the same at any N (prompt chunks and sequences joining mid-batch change nothing),
/// records in input order with a bad line's error record in its place.
final class ParallelCLITests: XCTestCase {
  /// Four dev records, a bad line between them, in the chat format (the model writes reasoning, so
  /// sequences decode for different lengths and join and leave the batch at different steps).
  func input() throws -> String {
    let lines = try String(contentsOf: AggregationFixtures.devData, encoding: .utf8).split(separator: "\n").prefix(4).map(String.init)
    return ([lines[0], lines[1], "{\"id\": \"bad\", \"question\": 3}"] + lines[2...]).joined(separator: "\n") + "\n"
  }

  func withoutSeconds(_ text: String) throws -> [JSON] {
    try text.split(separator: "\n").map { line in
      guard case .object(let fields) = try JSON.parse(Array(line.utf8)) else { return .null }
      return .object(fields.filter { $0.0 != "seconds" })
    }
  }

  func testRecordsAreTheSameAtAnyParallelism() throws {
    let model = try TestSupport.defaultModelPath()
    let path = TestSupport.temporaryDirectory() + "/in.jsonl"
    try input().write(toFile: path, atomically: true, encoding: .utf8)
    var outputs: [[JSON]] = []
    for n in [1, 2, 7, 16] {
      let r = try TestSupport.runSSA(["aggregate", "--model", model, "-i", path, "-q", "--parallel", "\(n)",
                                      "--method", "generate", "--prompt-format", "chat", "--max-tokens", "12", "--reasoning", "--no-skip-unanimous"])
      XCTAssertEqual(r.status, 1, r.stderr)  // the bad line
      let records = try withoutSeconds(r.stdout)
      XCTAssertEqual(records.count, 5)
      XCTAssertEqual(records[2]["id"], .string("bad"))
      XCTAssertNotNil(records[2]["error"])
      XCTAssertEqual(records.map { $0["id"] }, [.string("gsm8k-test-0"), .string("gsm8k-test-1"), .string("bad"),
                                                .string("gsm8k-test-2"), .string("gsm8k-test-3")])
      outputs.append(records)
    }
    for (n, records) in zip([2, 7, 16], outputs.dropFirst()) {
      XCTAssertEqual(records, outputs[0], "--parallel \(n)")
    }
    // the model wrote reasoning, so these are real generations
    XCTAssertTrue(outputs[0].contains { ($0["generated_tokens"].flatMap { if case .int(let n) = $0 { return n } else { return nil } } ?? 0) > 5 })
  }

  func testEvalIsTheSameAtAnyParallelism() throws {
    let model = try TestSupport.defaultModelPath()
    let path = TestSupport.temporaryDirectory() + "/in.jsonl"
    try input().write(toFile: path, atomically: true, encoding: .utf8)
    var summaries: [JSON] = []
    for n in [1, 3] {
      let r = try TestSupport.runSSA(["eval", "--model", model, "-i", path, "-q", "--json", "--parallel", "\(n)",
                                      "--methods", "generate,tiebreak", "--shuffle", "1", "--seed", "7"])
      XCTAssertEqual(r.status, 1, r.stderr)  // the bad line
      guard case .object(let fields) = try JSON.parse(Array(r.stdout.utf8)) else { return XCTFail(r.stdout) }
      var kept = fields.filter { !["wall_seconds", "records_per_second", "model", "skip_unanimous"].contains($0.0) }
      // per method: everything but its time
      kept = kept.map { key, value in
        guard key == "methods", case .array(let rows) = value else { return (key, value) }
        return (key, .array(rows.map { row in
          guard case .object(let f) = row else { return row }
          return .object(f.filter { $0.0 != "seconds_per_run" })
        }))
      }
      summaries.append(.object(kept))
      XCTAssertEqual(fields.first { $0.0 == "records" }?.1, .int(4))
    }
    XCTAssertEqual(summaries[0], summaries[1])
  }
}
