import Foundation
import XCTest
@testable import SSAKit

/// Bad checkpoints and failed writes: a clear one-line error, and no output file left behind.
final class ConvertFaultTests: ConvertTestCase {
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
    try expectFailure(TestSupport.temporaryDirectory() + "/nothing-here", "nothing-here: No such file or directory", status: 2)
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

  /// An empty output path and a directory: usage errors that say so.
  func testBadOutputPath() throws {
    let dir = TestSupport.temporaryDirectory()
    for (output, message) in [("", "ssa: the output path is empty"), (dir, "ssa: the output \(dir) is a directory"),
                              (".", "ssa: the output . is a directory")] {
      let result = try TestSupport.runSSA(["convert", "\(tiny)/tied", "-o", output])
      XCTAssertEqual(result.status, 2, result.stderr)
      let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("ssa: ") }
      XCTAssertEqual(errorLines.count, 1, result.stderr)
      XCTAssertTrue(errorLines.first?.hasPrefix(message) ?? false, "\(result.stderr) should say \(message)")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
  }

  /// An output naming a file of the checkpoint (directly, through a symlinked folder, or as the target
  /// of the checkpoint's symlink) would replace it: a usage error, the checkpoint left as it was.
  func testOutputOverCheckpointFile() throws {
    let fm = FileManager.default
    let dir = try copyOf("untied-sharded")
    let linkedDir = TestSupport.temporaryDirectory() + "/linked"
    try fm.createSymbolicLink(atPath: linkedDir, withDestinationPath: dir)
    // A checkpoint whose weights are a symlink into a cache, as the HF hub lays them out.
    let cached = try copyOf("tied")
    let blob = TestSupport.temporaryDirectory() + "/blob"
    try fm.moveItem(atPath: cached + "/model.safetensors", toPath: blob)
    try fm.createSymbolicLink(atPath: cached + "/model.safetensors", withDestinationPath: blob)

    let shard = "model-00002-of-00002.safetensors"
    let cases: [(input: String, output: String, file: String)] = [
      (dir, dir + "/" + shard, dir + "/" + shard),
      (dir, dir + "/config.json", dir + "/config.json"),
      (dir, dir + "/./model.safetensors.index.json", dir + "/model.safetensors.index.json"),
      (dir, linkedDir + "/tokenizer.json", dir + "/tokenizer.json"),
      (linkedDir, dir + "/tokenizer_config.json", linkedDir + "/tokenizer_config.json"),
      (cached, cached + "/model.safetensors", cached + "/model.safetensors"),
      (cached, blob, cached + "/model.safetensors"),
    ]
    for c in cases {
      let before = try fm.contentsOfDirectory(atPath: c.input).sorted()
      let bytes = try Data(contentsOf: URL(fileURLWithPath: c.file))
      let result = try TestSupport.runSSA(["convert", c.input, "-o", c.output])
      XCTAssertEqual(result.status, 2, result.stderr)
      let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("ssa: ") }
      XCTAssertEqual(errorLines, [
        "ssa: the output \(c.output) is the input file \(c.file); writing it would destroy the checkpoint (choose another output)",
      ])
      XCTAssertEqual(try fm.contentsOfDirectory(atPath: c.input).sorted(), before)
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: c.file)), bytes)
    }
    XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: cached + "/model.safetensors"), blob)
  }

  /// Outputs that replace no checkpoint file are written: another symlink to a checkpoint file (the
  /// rename replaces the link, not its target), and a GGUF converted onto itself (written aside,
  /// renamed over the input, which stays mapped until the end).
  func testOutputOverLinkOrOwnGGUF() throws {
    let fm = FileManager.default
    let dir = try copyOf("tied")
    let link = TestSupport.temporaryDirectory() + "/link.gguf"
    try fm.createSymbolicLink(atPath: link, withDestinationPath: dir + "/model.safetensors")
    let weights = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
    let linked = try TestSupport.runSSA(["convert", dir, "-o", link])
    XCTAssertEqual(linked.status, 0, linked.stderr)
    XCTAssertThrowsError(try fm.destinationOfSymbolicLink(atPath: link), "the link is now the output file")
    XCTAssertEqual(try GGUFFile(path: link).tensor(named: "blk.0.ffn_up.weight")?.type, .q8_0)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors")), weights)

    let gguf = TestSupport.temporaryDirectory() + "/model.gguf"
    try fm.copyItem(atPath: "\(tiny)/tied/tiny-qwen2-tied-f32.gguf", toPath: gguf)
    let own = try TestSupport.runSSA(["convert", gguf, "-o", gguf, "--type", "f16"])
    XCTAssertEqual(own.status, 0, own.stderr)
    XCTAssertEqual(try GGUFFile(path: gguf).tensor(named: "blk.0.ffn_up.weight")?.type, .f16)
    XCTAssertEqual(try fm.contentsOfDirectory(atPath: (gguf as NSString).deletingLastPathComponent), ["model.gguf"])
  }

  /// A checkpoint of zeros large enough to interrupt (about 5 s to convert): the tiny tokenizer, 16
  /// layers of width 1024 (1 GB of F32), in a sparse safetensors file that takes no disk space.
  func largeCheckpoint() throws -> String {
    let dir = try copyOf("tied")
    let hidden = 1024, ffn = 4096, layers = 16, heads = 16, kvHeads = 2, vocab = 512
    let kv = kvHeads * hidden / heads
    try editJSON(dir + "/config.json") { config in
      config["hidden_size"] = hidden
      config["intermediate_size"] = ffn
      config["num_hidden_layers"] = layers
      config["num_attention_heads"] = heads
      config["num_key_value_heads"] = kvHeads
    }
    var shapes: [(String, [Int])] = [("model.embed_tokens.weight", [vocab, hidden]), ("model.norm.weight", [hidden])]
    for i in 0..<layers {
      let p = "model.layers.\(i)."
      shapes += [
        (p + "input_layernorm.weight", [hidden]), (p + "post_attention_layernorm.weight", [hidden]),
        (p + "self_attn.q_proj.weight", [hidden, hidden]), (p + "self_attn.q_proj.bias", [hidden]),
        (p + "self_attn.k_proj.weight", [kv, hidden]), (p + "self_attn.k_proj.bias", [kv]),
        (p + "self_attn.v_proj.weight", [kv, hidden]), (p + "self_attn.v_proj.bias", [kv]),
        (p + "self_attn.o_proj.weight", [hidden, hidden]), (p + "mlp.gate_proj.weight", [ffn, hidden]),
        (p + "mlp.up_proj.weight", [ffn, hidden]), (p + "mlp.down_proj.weight", [hidden, ffn]),
      ]
    }
    var header: [String: Any] = [:]
    var offset = 0
    for (name, shape) in shapes {
      let bytes = shape.reduce(4, *)
      header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
      offset += bytes
    }
    var json = try JSONSerialization.data(withJSONObject: header)
    while json.count % 8 != 0 { json.append(0x20) }
    var file = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(json)
    let path = dir + "/model.safetensors"
    try file.write(to: URL(fileURLWithPath: path))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(file.count + offset))
    try handle.close()
    return dir
  }

  /// SIGINT during a conversion: a line saying so, status 130 as the other commands, no file left behind.
  func testInterruptedRunLeavesNoFile() throws {
    let outDir = TestSupport.temporaryDirectory()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.ssaBinary)
    process.arguments = ["convert", try largeCheckpoint(), "-o", outDir + "/big.gguf", "--type", "q4_0"]
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
    XCTAssertEqual(process.terminationStatus, 130, stderr)
    XCTAssertTrue(stderr.hasSuffix("ssa: interrupted; no output file was left behind\n"), stderr)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outDir), [])
  }
}
