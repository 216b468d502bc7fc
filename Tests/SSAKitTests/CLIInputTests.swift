import Foundation
import XCTest
@testable import SSAKit

/// What the CLI does with input a user gets wrong: option values out of range, empty or odd input,
/// an output that would overwrite the input. Every case is one line on stderr and an exit status,
/// never a trap, and none of them loads a model.
final class CLIInputTests: XCTestCase {
  private let request = #"{"id":1,"question":"How many?","samples":["A: 3","A: 3","A: 4"]}"# + "\n"

  private func assertFailure(_ r: CLIResult, status: Int32, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
    XCTAssertTrue(r.stderr.hasPrefix("ssa: "), r.stderr, file: file, line: line)
    XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr, file: file, line: line)
    XCTAssertTrue(r.stderr.contains(mentions), "\(r.stderr) should mention \(mentions)", file: file, line: line)
  }

  func testOptionValuesOutOfRangeAreUsageErrors() throws {
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    let cases: [([String], String)] = [
      (["aggregate", "--threads", "3000000000"], "--threads must be between 1 and 1024"),
      (["aggregate", "-t", "0"], "--threads must be between 1 and 1024"),
      (["eval", "--input", "x", "--threads", "100000"], "--threads must be between 1 and 1024"),
      (["generate", "-m", model, "--prompt", "hi", "-t", "5000"], "--threads must be between 1 and 1024"),
      (["perplexity", "-m", model, "-f", "x", "--threads", "-2"], "--threads must be between 1 and 1024"),
      (["bench", "-m", model, "--threads", "2000"], "--threads must be between 1 and 1024"),
      (["generate", "-m", model, "--prompt", "hi", "--max-tokens", "9223372036854775807"], "--max-tokens must be between 1 and"),
      (["aggregate", "--max-tokens", "-3"], "--max-tokens must be between 1 and"),
      (["vote", "--k", "-1"], "--k must be 1 or more"),
      (["aggregate", "--temperature", "inf"], "--temperature must be a finite number"),
      (["aggregate", "--temperature", "-1"], "--temperature must be a finite number"),
      (["generate", "-m", model, "--prompt", "hi", "--top-p", "-0.5"], "--top-p"),
      (["perplexity", "-m", model, "-f", "x", "--ctx", "-5"], "--ctx"),
      (["generate", "--bogus"], "--bogus"),
    ]
    for (arguments, message) in cases {
      assertFailure(try TestSupport.runSSA(arguments, stdin: Data(request.utf8)), status: 2, mentions: message)
    }
  }

  func testEmptyInputIsAnError() throws {
    for input in ["", "  \n\t\n\r\n"] {
      assertFailure(try TestSupport.runSSA(["vote"], stdin: Data(input.utf8)), status: 1, mentions: "empty input")
    }
  }

  func testByteOrderMarkIsSkipped() throws {
    let r = try TestSupport.runSSA(["vote", "-q"], stdin: Data([0xEF, 0xBB, 0xBF]) + Data((request + request).utf8))
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout.split(separator: "\n").count, 2)
    XCTAssertEqual(try JSON.parse(Array(r.stdout.split(separator: "\n")[0].utf8))["answer"], .string("3"))
  }

  /// A stray first line makes the input plain text; the error says so, and --input-format jsonl
  /// answers the records with an error record for that line.
  func testJSONLinesAfterAStrayFirstLine() throws {
    let input = Data(("stray header\n" + request + request).utf8)
    assertFailure(try TestSupport.runSSA(["vote"], stdin: input), status: 1, mentions: "--input-format jsonl")
    let r = try TestSupport.runSSA(["vote", "-q", "--input-format", "jsonl"], stdin: input)
    XCTAssertEqual(r.status, 1)
    let records = try r.stdout.split(separator: "\n").map { try JSON.parse(Array($0.utf8)) }
    XCTAssertEqual(records.count, 3)
    XCTAssertEqual(records[0]["line"], .int(1))
    XCTAssertNotNil(records[0]["error"])
    XCTAssertEqual(records[1]["answer"], .string("3"))
    XCTAssertEqual(records[2]["answer"], .string("3"))
  }

  func testPlainTextErrorsSayWhatIsMissing() throws {
    assertFailure(try TestSupport.runSSA(["vote"], stdin: Data("What is 2+2?\n".utf8)), status: 1,
                  mentions: "after the question, each sample follows a line holding only ---")
    assertFailure(try TestSupport.runSSA(["vote"], stdin: Data("---\nA: 4\n".utf8)), status: 1, mentions: "no question")
    assertFailure(try TestSupport.runSSA(["vote"], stdin: Data("Q\n---\n".utf8) + Data([0xC0, 0x80])), status: 1,
                  mentions: "byte 6 of the input")
    let long = "Q?\n---\n" + String(repeating: "y", count: 4096) + " A: 3\n"
    assertFailure(try TestSupport.runSSA(["vote", "--max-line-bytes", "100"], stdin: Data(long.utf8)), status: 1,
                  mentions: "longer than the limit of 100 bytes")
  }

  func testOutputNeverOverwritesTheInput() throws {
    let path = TestSupport.temporaryDirectory() + "/requests.jsonl"
    let content = Data((request + #"{"id":2,"question":"q","samples":["A: 1"],"gold":"1"}"# + "\n").utf8)
    try content.write(to: URL(fileURLWithPath: path))
    assertFailure(try TestSupport.runSSA(["vote", "-i", path, "-o", path]), status: 2, mentions: "is the input file")
    assertFailure(try TestSupport.runSSA(["eval", "--no-model", "-q", "-i", path, "-o", path]), status: 2, mentions: "is the input file")
    // the same file through stdin and stdout (`ssa vote < f >> f` would read its own output forever)
    let shell = try TestSupport.run(["sh", "-c", "\"$0\" vote -q < \"$1\" >> \"$1\"", TestSupport.ssaBinary, path])
    assertFailure(shell, status: 2, mentions: "standard output is the input file")
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), content)
  }

  func testDirectoriesAndMissingFilesAreNamed() throws {
    let dir = TestSupport.temporaryDirectory()
    assertFailure(try TestSupport.runSSA(["vote", "--input", dir]), status: 2, mentions: "\(dir) is a directory")
    assertFailure(try TestSupport.runSSA(["eval", "--no-model", "--input", dir]), status: 2, mentions: "\(dir) is a directory")
    assertFailure(try TestSupport.runSSA(["generate", "-m", dir, "--prompt", "hi"]), status: 2, mentions: "is a directory, not a model file")
    assertFailure(try TestSupport.runSSA(["generate", "-m", dir + "/none.gguf", "--prompt", "hi"]), status: 2,
                  mentions: "cannot open \(dir)/none.gguf (--model): No such file or directory")
    assertFailure(try TestSupport.runSSA(["generate", "--prompt", "hi"], environment: ["SSA_MODEL": "/dev/null"]), status: 2,
                  mentions: "/dev/null ($SSA_MODEL) is not a regular file")
  }

  func testEvalWithoutGoldAnswersFails() throws {
    let path = TestSupport.temporaryDirectory() + "/no-gold.jsonl"
    try Data(request.utf8).write(to: URL(fileURLWithPath: path))
    let r = try TestSupport.runSSA(["eval", "--no-model", "-q", "--input", path])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("no record with a gold answer"), r.stderr)
  }

  /// Bytes that are not UTF-8 in an argument would become U+FFFD: refused instead.
  func testArgumentsThatAreNotUTF8AreRefused() throws {
    let r = try TestSupport.run(["sh", "-c", "\"$0\" tokenize --text \"$(printf 'ab\\377cd')\"", TestSupport.ssaBinary])
    assertFailure(r, status: 2, mentions: "argument 3 is not valid UTF-8")
  }

  /// A damaged default model (an empty file in the models folder) is named, with the way to repair it.
  func testDamagedDefaultModelIsNamed() throws {
    let dir = TestSupport.temporaryDirectory()
    let path = dir + "/qwen2.5-coder-0.5b-instruct-q8_0.gguf"
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
    let r = try TestSupport.runSSA(["generate", "--prompt", "hi"], environment: ["SSA_MODELS": dir])
    assertFailure(r, status: 1, mentions: "the default model \(path) is damaged")
    XCTAssertTrue(r.stderr.contains("`ssa fetch` makes it again"), r.stderr)
  }

  /// A model file that is not a model this runtime runs is named in the error, with the reason.
  func testModelErrorsNameTheFile() throws {
    let source = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    var bytes = try Data(contentsOf: URL(fileURLWithPath: source))
    // qwen2.block_count (a uint32) set to 2^32 - 1: a value past what the runtime supports
    let key = Data("qwen2.block_count".utf8)
    let at = try XCTUnwrap(bytes.range(of: key)).upperBound + 4  // after the key, its value type
    bytes.replaceSubrange(at..<(at + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
    let path = TestSupport.temporaryDirectory() + "/blocks.gguf"
    try bytes.write(to: URL(fileURLWithPath: path))
    assertFailure(try TestSupport.runSSA(["generate", "-m", path, "--prompt", "hi"]), status: 1,
                  mentions: "\(path): bad metadata \"qwen2.block_count\": 4294967295 is out of the supported range 1...2147483647")
  }

  /// JSON true is not token 1.
  func testDecodeTakesOnlyNumbers() throws {
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    assertFailure(try TestSupport.runSSA(["tokenize", "-m", model, "--decode"], stdin: Data("[true]".utf8)), status: 1,
                  mentions: "element 0 (true) is not a token id")
    let r = try TestSupport.runSSA(["tokenize", "-m", model, "--decode"], stdin: Data("[1, 2.0, 3]".utf8))
    XCTAssertEqual(r.status, 0, r.stderr)
  }

  /// Bad content (not the arguments) exits 1: text that is not UTF-8, a text too short for --ctx.
  func testBadContentExitsOne() throws {
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    assertFailure(try TestSupport.runSSA(["tokenize", "-m", model], stdin: Data([0x61, 0xFF])), status: 1,
                  mentions: "input is not valid UTF-8")
    let empty = TestSupport.temporaryDirectory() + "/empty.txt"
    XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
    assertFailure(try TestSupport.runSSA(["perplexity", "-m", model, "-f", empty, "--ctx", "16"]), status: 1,
                  mentions: "has 0 tokens; need at least 32")
  }

  /// A prompt file may be a pipe (`--prompt-file <(...)`).
  func testPromptFileMayBeAPipe() throws {
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    let r = try TestSupport.run(["sh", "-c", "echo 'The answer is' | \"$0\" generate -m \"$1\" --prompt-file /dev/stdin --max-tokens 2",
                                 TestSupport.ssaBinary, model])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("prompt: "), r.stderr)
  }
}
