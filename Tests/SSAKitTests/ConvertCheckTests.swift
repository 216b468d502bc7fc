import Foundation
import XCTest
@testable import SSAKit

/// Inputs that once trapped the converter or gave a file the runtime then refused: now one line naming
/// the key or file at fault, status 1 and no output.
final class ConvertCheckTests: ConvertTestCase {
  /// Integers past what GGUF's uint32 fields and the runtime hold, or of another JSON type.
  func testConfigIntegersOutOfRange() throws {
    let cases: [(key: String, value: Any, message: String)] = [
      ("max_position_embeddings", 1 << 32, "\"max_position_embeddings\": 4294967296 out of range (1...2147483647)"),
      ("head_dim", 1 << 62, "\"head_dim\": 4611686018427387904 out of range (1...2147483647)"),
      ("head_dim", -1, "\"head_dim\": -1 out of range (1...2147483647)"),
      ("head_dim", 0, "\"head_dim\": 0 out of range (1...2147483647)"),
      ("head_dim", 16.7, "\"head_dim\": expected a positive integer, got 16.7"),
      ("head_dim", 1 << 30, "\"head_dim\": 1073741824 x 4 heads (num_attention_heads) out of range"),
      ("hidden_size", "64", "\"hidden_size\": expected a positive integer, got a string (\"64\")"),
      ("vocab_size", 1e19, "\"vocab_size\": 1e+19 out of range (1...2147483647)"),
      ("num_hidden_layers", true, "\"num_hidden_layers\": expected a positive integer, got a boolean (true)"),
      ("intermediate_size", [128], "\"intermediate_size\": expected a positive integer, got an array"),
      ("bos_token_id", -1, "\"bos_token_id\": -1 out of range (0...2147483647)"),
      ("tie_word_embeddings", "true", "\"tie_word_embeddings\": expected true or false, got a string (\"true\")"),
    ]
    for c in cases {
      let dir = try copyOf("tied")
      try editJSON(dir + "/config.json") { $0[c.key] = c.value }
      try expectFailure(dir, "config.json " + c.message)
    }
  }

  /// rope_theta and rms_norm_eps are stored as float32: what would become infinite, zero or subnormal
  /// is refused instead of written.
  func testConfigFloatsOutOfFloat32() throws {
    let range = "out of range (a positive float32, 1.1754944e-38...3.4028235e+38)"
    let cases: [(key: String, value: Any, message: String)] = [
      ("rope_theta", 1e300, "\"rope_theta\": 1e+300 " + range),
      ("rms_norm_eps", 1e-300, "\"rms_norm_eps\": 1e-300 " + range),
      ("rms_norm_eps", 1e300, "\"rms_norm_eps\": 1e+300 " + range),
      ("rms_norm_eps", 1e-40, "\"rms_norm_eps\": 1e-40 " + range),
      ("rms_norm_eps", -1e-6, "\"rms_norm_eps\": -1e-06 " + range),
      ("rope_theta", "1e6", "\"rope_theta\": expected a positive number, got a string (\"1e6\")"),
    ]
    for c in cases {
      let dir = try copyOf("tied")
      try editJSON(dir + "/config.json") { $0[c.key] = c.value }
      try expectFailure(dir, "config.json " + c.message)
    }
    let v5 = try copyOf("tied-v5")
    try editJSON(v5 + "/config.json") { config in
      var parameters = config["rope_parameters"] as! [String: Any]
      parameters["rope_theta"] = 1e39
      config["rope_parameters"] = parameters
    }
    try expectFailure(v5, "config.json \"rope_parameters.rope_theta\": 1e+39 " + range)
  }

  /// Tokenizers that parse but that the runtime cannot build: refused before converting.
  func testUnloadableTokenizer() throws {
    func damaged(_ edit: @escaping (inout [String: Any]) -> Void) throws -> String {
      let dir = try copyOf("tied")
      try editJSON(dir + "/tokenizer.json") { root in
        var model = root["model"] as! [String: Any]
        edit(&model)
        root["model"] = model
      }
      return dir
    }
    let notLoadable = " is not a loadable Qwen2 model: tokenizer: "
    let badMerge = try damaged { $0["merges"] = ($0["merges"] as! [Any]) + [["zz", "qq"]] }
    try expectFailure(badMerge, badMerge + notLoadable
      + "merge 237 \"zz qq\": not two tokens whose concatenation is in the vocabulary (tokenizer.json)")
    let noByte = try damaged { model in
      var vocab = model["vocab"] as! [String: Any]
      vocab.removeValue(forKey: "a")
      model["vocab"] = vocab
      model["merges"] = []
    }
    try expectFailure(noByte, noByte + notLoadable + "the vocabulary has no token for byte 0x61")
    let empty = try damaged { $0["vocab"] = [String: Any](); $0["merges"] = [] }
    try expectFailure(empty, empty + notLoadable + "the vocabulary has no token for byte 0x0")
  }

  /// A checkpoint whose config, tensors and tokenizer all pass, but whose head size (64 / 64 heads = 1)
  /// the runtime refuses: caught on the written file, which is then removed.
  func testOutputCheckedBeforeItIsMoved() throws {
    let dir = try copyOf("tied")
    // Q is [64 x 64] and K, V [32 x 64] whatever the head count, so the tensor shapes still match.
    try editJSON(dir + "/config.json") { $0["num_attention_heads"] = 64; $0["num_key_value_heads"] = 32 }
    try expectFailure(
      dir, dir + " is not a loadable Qwen2 model: bad metadata \"qwen2.attention.key_length\": head size 1 must be even")
  }

  /// GGUF inputs pass their metadata and tensors through: one the runtime refuses is refused.
  func testUnloadableGGUFInput() throws {
    let source = "\(tiny)/untied/tiny-qwen2-untied-f32.gguf"
    let cases: [(metadata: [String: GGUFValue?], dropped: Set<String>, message: String)] = [
      ([:], ["blk.1.ffn_up.weight"], "model file lacks tensor \"blk.1.ffn_up.weight\""),
      ([:], ["output_norm.weight"], "model file lacks tensor \"output_norm.weight\""),
      (["qwen2.block_count": .uint32(3)], [], "model file lacks tensor \"blk.2.attn_norm.weight\""),
      (["qwen2.block_count": .uint32(0)], [], "bad metadata \"qwen2.block_count\""),
      (["qwen2.attention.head_count": .uint32(3)], [], "bad metadata \"qwen2.attention.head_count\""),
      (["qwen2.embedding_length": .uint32(32)], [], "tensor \"token_embd.weight\" has shape [64, 512], expected [32, 512]"),
      (["qwen2.attention.key_length": .uint32(0)], [], "bad metadata \"qwen2.attention.key_length\""),
      (["qwen2.attention.key_length": .uint32(UInt32.max)], [], "bad metadata \"qwen2.attention.key_length\""),
      (["tokenizer.ggml.tokens": nil], [], "tokenizer: missing tokenizer.ggml.tokens"),
      (["tokenizer.ggml.merges": .array(.string, [.string("zz qq")])], [], "tokenizer: merge 0 \"zz qq\""),
    ]
    for c in cases {
      let input = TestSupport.temporaryDirectory() + "/in.gguf"
      try rewriteGGUF(source, to: input, metadata: c.metadata, dropping: c.dropped)
      try expectFailure(input, input + " is not a loadable Qwen2 model: " + c.message)
    }
  }

  /// The library reports the same as the command, with the runtime's reason.
  func testConverterThrowsNotLoadable() throws {
    let input = TestSupport.temporaryDirectory() + "/in.gguf"
    try rewriteGGUF("\(tiny)/tied/tiny-qwen2-tied-f32.gguf", to: input, dropping: ["blk.0.attn_q.bias"])
    XCTAssertThrowsError(try Converter(input: input, options: ConvertOptions())) { error in
      XCTAssertEqual(
        error as? ConvertError,
        .notLoadable(input: input, reason: ModelError.missingTensor("blk.0.attn_q.bias").description))
    }
  }
}
