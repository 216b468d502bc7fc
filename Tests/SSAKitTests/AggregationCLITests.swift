import XCTest
@testable import SSAKit

/// The built `ssa` binary: `vote` and `eval --no-model` for real, exit statuses, plain text, SIGPIPE
/// and SIGINT. (`aggregate` needs the model runtime; its logic is tested through the library.)
final class AggregationCLITests: XCTestCase {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  override class func tearDown() {
    MixedStream.remove()
  }

  /// The `ssa` executable built beside this test bundle.
  func binary() throws -> URL {
    var candidates: [URL] = []
    if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
    candidates.append(Bundle(for: AggregationCLITests.self).bundleURL.deletingLastPathComponent())
    for dir in candidates {
      let url = dir.appendingPathComponent("ssa")
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw XCTSkip("the ssa executable is not built next to the tests (looked in \(candidates.map(\.path)))")
  }

  func run(_ arguments: [String], stdin: Data? = nil) throws -> Run {
    let process = Process()
    process.executableURL = try binary()
    process.arguments = arguments
    let out = Pipe()
    // stderr to a file, so a chatty child cannot block on a full pipe while stdout is read.
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errURL) }
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: errURL)
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
      input.fileHandleForWriting.write(stdin)
      try input.fileHandleForWriting.close()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errData = try Data(contentsOf: errURL)
    XCTAssertEqual(process.terminationReason, .exit, "killed by a signal")
    return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData, as: UTF8.self))
  }

  func records(_ text: String) throws -> [JSON] {
    try text.split(separator: "\n").map { try JSON.parse(Array($0.utf8)) }
  }

  func testVoteOnTheMixedStream() throws {
    let r = try run(["vote", "--input", MixedStream.file.path, "--quiet"])
    XCTAssertEqual(r.status, 1)
    MixedStream.check(try records(r.stdout))
    XCTAssertEqual(r.stderr, "")
  }

  func testVoteFromStdinReportsFailuresOnStderr() throws {
    let input = Data((#"{"id":1,"question":"q","samples":["A: 1"]}"# + "\n{oops\n").utf8)
    let r = try run(["vote"], stdin: input)
    XCTAssertEqual(r.status, 1)
    let out = try records(r.stdout)
    XCTAssertEqual(out.count, 2)
    XCTAssertEqual(out[0]["answer"], .string("1"))
    XCTAssertEqual(out[1]["line"], .int(2))
    XCTAssertTrue(r.stderr.contains("1 of 2 records failed"), r.stderr)
  }

  func testVoteOnTheDevDataMatchesTheLibrary() throws {
    let r = try run(["vote", "--input", AggregationFixtures.devData.path, "-q"])
    XCTAssertEqual(r.status, 0)
    let out = try records(r.stdout)
    let requests = try AggregationFixtures.devRequests()
    XCTAssertEqual(out.count, requests.count)
    var correct = 0
    for (record, request) in zip(out, requests) {
      XCTAssertEqual(record["id"], request.id)
      XCTAssertEqual(record["answer"], MajorityVote(samples: request.samples).winner.map { .string($0.text) } ?? .null)
      if Answer.isCorrect(record["answer"].flatMap { if case .string(let s) = $0 { return s } else { return nil } }, gold: request.gold!) {
        correct += 1
      }
    }
    XCTAssertEqual(correct, 139)
  }

  func testEvalWithoutModel() throws {
    let perRecord = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-eval-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: perRecord) }
    let r = try run(["eval", "--input", AggregationFixtures.devData.path, "--no-model", "--json", "-q", "--output", perRecord.path])
    XCTAssertEqual(r.status, 0, r.stderr)
    let summary = try JSON.parse(Array(r.stdout.utf8))
    XCTAssertEqual(summary["records"], .int(300))
    XCTAssertEqual(summary["majority_correct"], .int(139))
    XCTAssertEqual(summary["oracle_correct"], .int(199))
    XCTAssertEqual(summary["k"], .int(4))
    XCTAssertEqual(try records(String(contentsOf: perRecord, encoding: .utf8)).count, 300)

    let table = try run(["eval", "--input", AggregationFixtures.devData.path, "--no-model", "--limit", "10", "-q"])
    XCTAssertEqual(table.status, 0)
    XCTAssertTrue(table.stdout.hasPrefix("10 records with gold (k = 4)"), table.stdout)
    XCTAssertTrue(table.stdout.contains("majority vote"))
  }

  func testPlainTextPrintsJustTheAnswer() throws {
    let text = "Janet has 16 eggs...\n---\nShe sells 9 eggs at $2: <<9*2=18>>18\nA: 18\n---\nA: 26\n---\nThe answer is $18.00.\n"
    let r = try run(["vote"], stdin: Data(text.utf8))
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout, "18\n")
    let j = try run(["vote", "--json"], stdin: Data(text.utf8))
    let record = try JSON.parse(Array(j.stdout.utf8))
    XCTAssertEqual(record["answer"], .string("18"))
    XCTAssertEqual(record["agreement"], .double(2.0 / 3.0))
    let none = try run(["vote"], stdin: Data("Question\n---\nno idea\n".utf8))
    XCTAssertEqual(none.status, 1)
    XCTAssertEqual(none.stdout, "")
    XCTAssertTrue(none.stderr.contains("no answer"))
    let bad = try run(["vote"], stdin: Data("Only a question\n".utf8))
    XCTAssertEqual(bad.status, 1)
    XCTAssertTrue(bad.stderr.hasPrefix("ssa: no samples"), bad.stderr)
  }

  func testUsageErrorsExitTwoWithOneLine() throws {
    for arguments in [["vote", "--k", "0"], ["vote", "--bogus"], ["eval"], ["aggregate", "--group", "0"],
                      ["aggregate", "--prompt-format", "xml"], ["vote", "--input", "/nonexistent/file.jsonl"]] {
      let r = try run(arguments)
      XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
      XCTAssertTrue(r.stderr.hasPrefix("ssa: "), r.stderr)
      XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
    }
  }

  /// `ssa vote ... | head -1`: the reader goes away; the run ends quietly, with status 0.
  func testClosedPipeEndsTheRunCleanly() throws {
    let big = FileManager.default.temporaryDirectory.appendingPathComponent("ssa-pipe-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: big) }
    let dev = try Data(contentsOf: AggregationFixtures.devData)
    var data = Data()
    for _ in 0..<20 { data.append(dev) }  // 6000 records: far more than a pipe holds
    try data.write(to: big)

    let process = Process()
    process.executableURL = try binary()
    process.arguments = ["vote", "--input", big.path, "--quiet"]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    var first = Data()
    while !first.contains(0x0A) {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      first += chunk
    }
    try out.fileHandleForReading.close()
    process.waitUntilExit()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    XCTAssertEqual(process.terminationReason, .exit, "died of a signal (SIGPIPE?)")
    XCTAssertEqual(process.terminationStatus, 0, stderr)
    XCTAssertEqual(stderr, "")
    let line = first.split(separator: 0x0A).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    XCTAssertEqual(try JSON.parse(Array(line.utf8))["id"], .string("gsm8k-test-0"))
  }

  /// Ctrl-C while waiting for input: the finished records are out, and the status is 130.
  func testInterruptEndsWithFinishedRecordsWritten() throws {
    let process = Process()
    process.executableURL = try binary()
    process.arguments = ["vote"]
    let input = Pipe()
    let out = Pipe()
    let err = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = err
    try process.run()
    input.fileHandleForWriting.write(Data((#"{"id":1,"question":"q","samples":["A: 1"]}"# + "\n"
      + #"{"id":2,"question":"q","samples":["A: 2"]}"# + "\n").utf8))
    var received = Data()
    while received.filter({ $0 == 0x0A }).count < 2 {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      received += chunk
    }
    process.interrupt()  // SIGINT while `ssa` waits on the open pipe
    process.waitUntilExit()
    received += out.fileHandleForReading.readDataToEndOfFile()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    try? input.fileHandleForWriting.close()
    XCTAssertEqual(process.terminationReason, .exit)
    XCTAssertEqual(process.terminationStatus, 130)
    XCTAssertTrue(stderr.contains("interrupted after 2 records"), stderr)
    let out2 = try records(String(decoding: received, as: UTF8.self))
    XCTAssertEqual(out2.map { $0["answer"] }, [.string("1"), .string("2")])
  }
}
