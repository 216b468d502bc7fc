import Foundation
import XCTest
@testable import SSAKit

/// Bad checkpoints and failed writes: a clear one-line error, and no output file left behind.
final class ConvertFaultTests: XCTestCase {
  let tiny = TestSupport.fixture("tiny-qwen2")

  /// A copy of a fixture checkpoint folder that a test may damage.
  func copyOf(_ variant: String) throws -> String {
    let dir = TestSupport.temporaryDirectory() + "/" + variant
    try FileManager.default.copyItem(atPath: "\(tiny)/\(variant)", toPath: dir)
    return dir
  }

  /// Runs `ssa convert` and checks: non-zero exit, one line on stderr mentioning `mentions`, and
  /// nothing written next to the output.
  func expectFailure(_ input: String, _ mentions: String, extra: [String] = [], status: Int32 = 1,
                     shellPrefix: String? = nil, line: UInt = #line) throws {
    let outDir = TestSupport.temporaryDirectory()
    let out = outDir + "/out.gguf"
    let result: CLIResult
    if let shellPrefix {
      let quoted = ([TestSupport.ssaBinary, "convert", input, "-o", out] + extra).map { "'\($0)'" }.joined(separator: " ")
      result = try TestSupport.run(["/bin/sh", "-c", "\(shellPrefix); exec \(quoted)"])
    } else {
      result = try TestSupport.runSSA(["convert", input, "-o", out] + extra)
    }
    XCTAssertEqual(result.status, status, result.stderr, line: line)
    let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("ssa: ") }
    XCTAssertEqual(errorLines.count, 1, result.stderr, line: line)
    XCTAssertTrue(errorLines.first?.contains(mentions) ?? false, "\(result.stderr) should mention \(mentions)", line: line)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outDir), [], "files left behind", line: line)
  }

  func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
  }

  func testMissingConfigKey() throws {
    let dir = try copyOf("untied")
    try editJSON(dir + "/config.json") { $0["num_key_value_heads"] = "two"; $0.removeValue(forKey: "hidden_size") }
    try expectFailure(dir, "config.json lacks \"hidden_size\"")
  }

  func testUnknownArchitecture() throws {
    let dir = try copyOf("untied")
    try editJSON(dir + "/config.json") { $0["architectures"] = ["LlamaForCausalLM"]; $0["model_type"] = "llama" }
    try expectFailure(dir, "unknown architecture \"LlamaForCausalLM\"")
  }

  func testMissingShard() throws {
    let dir = try copyOf("untied-sharded")
    try FileManager.default.removeItem(atPath: dir + "/model-00002-of-00002.safetensors")
    try expectFailure(dir, "shard model-00002-of-00002.safetensors")
  }

  func testTruncatedShard() throws {
    let dir = try copyOf("untied-sharded")
    let path = dir + "/model-00001-of-00002.safetensors"
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    try data.prefix(data.count - 1000).write(to: URL(fileURLWithPath: path))
    try expectFailure(dir, "past the data section")
  }

  /// Rewrite a safetensors header (keeping the data) after editing its JSON.
  func rewriteHeader(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
    edit(&header)
    var json = try JSONSerialization.data(withJSONObject: header)
    while json.count % 8 != 0 { json.append(0x20) }
    var out = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(data.subdata(in: (8 + length)..<data.count))
    try out.write(to: URL(fileURLWithPath: path))
  }

  func testLyingHeader() throws {
    let dir = try copyOf("untied")
    try rewriteHeader(dir + "/model.safetensors") { header in
      var entry = header["model.norm.weight"] as! [String: Any]
      let offsets = entry["data_offsets"] as! [Int]
      entry["data_offsets"] = [offsets[0], offsets[1] + 4]  // claims one more float than its shape holds
      header["model.norm.weight"] = entry
    }
    try expectFailure(dir, "model.norm.weight")

    let far = try copyOf("tied")
    try rewriteHeader(far + "/model.safetensors") { header in
      var entry = header["model.norm.weight"] as! [String: Any]
      entry["data_offsets"] = [1 << 40, (1 << 40) + 256]
      header["model.norm.weight"] = entry
    }
    try expectFailure(far, "past the data section")

    let garbage = try copyOf("tied")
    let path = garbage + "/model.safetensors"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
    try bytes.write(to: URL(fileURLWithPath: path))
    try expectFailure(garbage, "bad safetensors header")
  }

  func testMissingTensorAndWrongShape() throws {
    let dir = try copyOf("untied")
    try rewriteHeader(dir + "/model.safetensors") { $0.removeValue(forKey: "model.layers.1.mlp.up_proj.weight") }
    try expectFailure(dir, "lacks tensor \"model.layers.1.mlp.up_proj.weight\"")

    let shaped = try copyOf("untied")
    try rewriteHeader(shaped + "/model.safetensors") { header in
      var entry = header["model.layers.0.mlp.down_proj.weight"] as! [String: Any]
      let shape = entry["shape"] as! [Int]
      entry["shape"] = [shape[1], shape[0]]
      header["model.layers.0.mlp.down_proj.weight"] = entry
    }
    try expectFailure(shaped, "model.layers.0.mlp.down_proj.weight\" has shape [128, 64], expected [64, 128]")
  }

  func testUnsupportedDType() throws {
    let dir = try copyOf("untied")
    try rewriteHeader(dir + "/model.safetensors") { header in
      var entry = header["model.norm.weight"] as! [String: Any]
      entry["dtype"] = "I32"
      header["model.norm.weight"] = entry
    }
    try expectFailure(dir, "dtype I32")
  }

  func testBadArguments() throws {
    try expectFailure("\(tiny)/untied", "--type", extra: ["--type", "q5_k"], status: 2)
    try expectFailure("\(tiny)/untied", "--prompt-format", extra: ["--prompt-format", "poem"], status: 2)
    try expectFailure(TestSupport.temporaryDirectory() + "/nothing-here", "missing")
  }

  /// The file-size limit makes the write fail part way (EFBIG, as a full disk would): an error and no file.
  func testWriteErrorLeavesNoFile() throws {
    try expectFailure("\(tiny)/untied", "cannot write", shellPrefix: "ulimit -f 200")  // 200 blocks of 512 bytes
  }

  func testUnwritableDestination() throws {
    let result = try TestSupport.runSSA(["convert", "\(tiny)/untied", "-o", "/proc/ssa-cannot-write-here.gguf"])
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.stderr.contains("\nssa: cannot write /proc/ssa-cannot-write-here.gguf"), result.stderr)
  }

  /// SIGINT during a conversion: exit with an error saying so, and no file left behind.
  func testInterruptedRunLeavesNoFile() throws {
    let outDir = TestSupport.temporaryDirectory()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.ssaBinary)
    // The full-size default model: long enough to interrupt in the middle.
    process.arguments = ["convert", try TestSupport.originalModelPath(), "-o", outDir + "/big.gguf", "--type", "q4_0"]
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    // Wait until the first tensors are written, then interrupt.
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      let files = (try? FileManager.default.contentsOfDirectory(atPath: outDir)) ?? []
      if let partial = files.first, let size = try? FileManager.default.attributesOfItem(atPath: outDir + "/" + partial)[.size] as? Int,
        size > 1 << 20 { break }
      usleep(20_000)
    }
    kill(process.processIdentifier, SIGINT)
    process.waitUntilExit()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    XCTAssertNotEqual(process.terminationStatus, 0)
    XCTAssertTrue(stderr.contains("ssa: interrupted"), stderr)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outDir), [])
  }
}
