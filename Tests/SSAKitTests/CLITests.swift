import Foundation
import XCTest
@testable import SSAKit

/// The CLI as a user meets it: output on stdout, every failure one line on stderr, non-zero exit.
final class CLITests: XCTestCase {
  func assertOneLineFailure(_ r: CLIResult, status: Int32, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
    XCTAssertEqual(r.stderr.split(separator: "\n", omittingEmptySubsequences: false).count, 2, r.stderr, file: file, line: line)
    XCTAssertTrue(r.stderr.hasPrefix("ssa: "), r.stderr, file: file, line: line)
    XCTAssertTrue(r.stderr.contains(mentions), "\(r.stderr) should mention \(mentions)", file: file, line: line)
  }

  func testInspectDefaultModel() throws {
    _ = try TestSupport.defaultModelPath()
    let r = try TestSupport.runSSA(["inspect"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("architecture qwen2, 24 blocks, 291 tensors"), r.stdout)
    XCTAssertTrue(r.stdout.contains("qwen2.attention.head_count_kv = 2"))
    XCTAssertTrue(r.stdout.contains("tokenizer.ggml.tokens = [\"!\", \"\\\"\", \"#\""))
    XCTAssertTrue(r.stdout.contains("(151936 total)"))
    let listing = try XCTUnwrap(r.stdout.components(separatedBy: "* Tensors:\n").last)
    let rows = listing.split(separator: "\n").dropFirst()  // the column header
    XCTAssertEqual(rows.count, 291)
    // The default model as the runtime uses it: converted from the download's Q4_K_M to Q8_0.
    XCTAssertTrue(rows.contains { $0.contains("blk.0.ffn_down.weight") && $0.contains("Q8_0") && $0.contains("4864 x 896") })
    XCTAssertTrue(r.stdout.contains("ssa.prompt_format = \"\(ModelStore.defaultPromptFormat)\""))
  }

  func testInspectJSON() throws {
    let r = try TestSupport.runSSA(["inspect", "--json", TestSupport.fixture("gguf/reference.gguf")])
    XCTAssertEqual(r.status, 0, r.stderr)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["tensor_count"] as? Int, 5)
    XCTAssertEqual(object["alignment"] as? Int, 64)
    let tensors = try XCTUnwrap(object["tensors"] as? [[String: Any]])
    XCTAssertEqual(tensors.map { $0["name"] as? String }, ["t.f32", "t.f16", "t.vec", "t.q8_0", "t.i32"])
    XCTAssertEqual(tensors[3]["shape"] as? [Int], [64, 4])
    let metadata = try XCTUnwrap(object["metadata"] as? [[String: Any]])
    let strings = try XCTUnwrap(metadata.first { $0["key"] as? String == "test.array_strings" })
    XCTAssertEqual(strings["count"] as? Int, 4)
    XCTAssertEqual(strings["value"] as? [String], ["a", "Ġb", "", "<|im_end|>"])
  }

  func testFailuresAreOneLine() throws {
    let dir = TestSupport.temporaryDirectory()
    assertOneLineFailure(try TestSupport.runSSA(["inspect", dir + "/missing.gguf"]), status: 2, mentions: "missing.gguf: No such file")
    let notGGUF = dir + "/text.gguf"
    try "hello world, not a model".write(toFile: notGGUF, atomically: true, encoding: .utf8)
    assertOneLineFailure(try TestSupport.runSSA(["inspect", notGGUF]), status: 1, mentions: "bad magic")
    let truncated = dir + "/cut.gguf"
    let reference = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("gguf/reference.gguf")))
    try reference.prefix(700).write(to: URL(fileURLWithPath: truncated))
    assertOneLineFailure(try TestSupport.runSSA(["inspect", truncated]), status: 1, mentions: truncated + ": truncated at byte 700")
    assertOneLineFailure(try TestSupport.runSSA(["inspect", dir]), status: 2, mentions: dir + " is a directory")
    assertOneLineFailure(try TestSupport.runSSA(["inspect", "/dev/null"]), status: 2, mentions: "/dev/null is not a regular file")
    assertOneLineFailure(try TestSupport.runSSA(["inspect", "--array-limit", "-3", notGGUF]), status: 2, mentions: "array-limit")
    assertOneLineFailure(try TestSupport.runSSA(["inspect", "--no-such-flag"]), status: 2, mentions: "--no-such-flag")
    assertOneLineFailure(try TestSupport.runSSA(["frobnicate"]), status: 2, mentions: "frobnicate")
  }

  /// `ssa generate` with the prompt from a file and --ignore-eos generates exactly --max-tokens tokens;
  /// a bad prompt source is a one-line usage error before any model is loaded.
  func testGeneratePromptFile() throws {
    let dir = TestSupport.temporaryDirectory()
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    let promptFile = dir + "/prompt.txt"
    try "The answer is".write(toFile: promptFile, atomically: true, encoding: .utf8)
    let r = try TestSupport.runSSA(["generate", "-m", model, "--prompt-file", promptFile, "--max-tokens", "7",
                                    "--ignore-eos", "--threads", "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("generated: 7 tokens"), r.stderr)
    let same = try TestSupport.runSSA(["generate", "-m", model, "--prompt", "The answer is", "--max-tokens", "7",
                                       "--ignore-eos", "-t", "1"])
    XCTAssertEqual(same.stdout, r.stdout)
    assertOneLineFailure(try TestSupport.runSSA(["generate", "-m", model, "--prompt-file", dir + "/none.txt"]),
                         status: 2, mentions: "none.txt")
    assertOneLineFailure(try TestSupport.runSSA(["generate", "-m", model, "--prompt", "a", "--prompt-file", promptFile]),
                         status: 2, mentions: "--prompt-file")
  }

  /// `ssa bench --json`: llama-bench's field names, with the nanosecond figures the samples give.
  func testBenchJSONFields() throws {
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    let r = try TestSupport.runSSA(["bench", "-m", model, "-p", "16", "-n", "4", "-r", "3", "-t", "1", "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    guard case .array(let records) = try JSON.parse(Array(r.stdout.utf8)) else { return XCTFail(r.stdout) }
    XCTAssertEqual(records.map { $0["n_prompt"] }, [.int(16), .int(0)])
    XCTAssertEqual(records.map { $0["n_gen"] }, [.int(0), .int(4)])
    for record in records {
      guard case .array(let samples)? = record["samples_ns"], case .int(let avg)? = record["avg_ns"],
        case .double(let ts)? = record["avg_ts"], case .int(let threads)? = record["n_threads"]
      else { return XCTFail(record.serialized) }
      let ns = samples.compactMap { value -> Double? in if case .int(let n) = value { return Double(n) } else { return nil } }
      XCTAssertEqual(ns.count, 3)
      XCTAssertEqual(Double(avg), ns.reduce(0, +) / 3, accuracy: 1)
      XCTAssertGreaterThan(avg, 0)
      XCTAssertGreaterThan(ts, 0)
      XCTAssertEqual(threads, 1)
      XCTAssertNotNil(record["stddev_ns"])
      XCTAssertNotNil(record["stddev_ts"])
    }
  }

  /// SSA_ISA caps the kernel sets: `ssa bench` runs and reports the named one (scalar runs on every
  /// CPU), higher sets cannot be forced, and a name that is no kernel set is a one-line usage error.
  func testISASwitch() throws {
    let model = TestSupport.fixture("tiny-qwen2/untied/tiny-qwen2-untied-f32.gguf")
    let r = try TestSupport.runSSA(["bench", "-m", model, "-p", "16", "-n", "0", "-r", "1", "-t", "1", "--json"],
                                   environment: ["SSA_ISA": "scalar"])
    XCTAssertEqual(r.status, 0, r.stderr)
    guard case .array(let records) = try JSON.parse(Array(r.stdout.utf8)) else { return XCTFail(r.stdout) }
    XCTAssertEqual(records.map { $0["cpu_info"] }, [.string("scalar")])
    let higher = try TestSupport.runSSA(["bench-kernels", "--isas", "avx2,neon", "--threads", "1"], environment: ["SSA_ISA": "scalar"])
    assertOneLineFailure(higher, status: 2, mentions: "cannot run")
    assertOneLineFailure(try TestSupport.runSSA(["--help"], environment: ["SSA_ISA": "avx3"]), status: 2, mentions: "SSA_ISA=avx3")
  }

  func testHelpExitsZero() throws {
    let r = try TestSupport.runSSA(["--help"])
    XCTAssertEqual(r.status, 0)
    XCTAssertTrue(r.stdout.contains("inspect"))
  }
}
