import Foundation
import XCTest
@testable import SSAKit

/// Loading from GGUF metadata and from HF checkpoint folders, and writing GGUF metadata back.
final class TokenizerLoadingTests: XCTestCase {
  func testDefaultModelSpecialTokens() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    XCTAssertEqual(tokenizer.vocabularySize, 151_936)
    XCTAssertEqual(tokenizer.eosTokenId, 151_645)
    XCTAssertEqual(tokenizer.bosTokenId, 151_643)
    XCTAssertEqual(tokenizer.paddingTokenId, 151_643)
    XCTAssertEqual(tokenizer.tokenId("<|endoftext|>"), 151_643)
    XCTAssertEqual(tokenizer.tokenId("<|im_start|>"), 151_644)
    XCTAssertEqual(tokenizer.tokenId("<|im_end|>"), 151_645)
    XCTAssertEqual(tokenizer.tokenId("<tool_call>"), 151_657)
    XCTAssertEqual(tokenizer.tokenId(" the"), 279)
    XCTAssertNil(tokenizer.tokenId("<|no_such_token|>"))
    XCTAssertEqual(tokenizer.data.preTokenizer, "qwen2")
    XCTAssertTrue(tokenizer.data.chatTemplate?.contains("<|im_start|>") ?? false)
    XCTAssertTrue(tokenizer.isControl(151_644))
    XCTAssertFalse(tokenizer.isControl(151_657))
  }

  /// Control tokens are atomic only with `special`; user-defined added tokens always are; text from a
  /// model can never produce a control id without `special`.
  func testSpecialTokenModes() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    XCTAssertEqual(tokenizer.encode("<|im_start|>", special: true), [151_644])
    let plain = tokenizer.encode("<|im_start|>user<|im_end|><|endoftext|>", special: false)
    XCTAssertTrue(plain.allSatisfy { !tokenizer.isControl($0) }, "\(plain)")
    XCTAssertEqual(tokenizer.decode(plain), "<|im_start|>user<|im_end|><|endoftext|>")
    XCTAssertEqual(tokenizer.encode("<tool_call>", special: false), [151_657])
    XCTAssertEqual(tokenizer.encode("", special: true), [])
  }

  /// The metadata written for the loaded data is the file's own tokenizer metadata, key for key, with
  /// the same value types and order.
  func testGGUFMetadataRoundTrip() throws {
    let (file, tokenizer) = try TokenizerFixtures.defaultModel()
    let expected = file.metadata.filter { $0.key.hasPrefix("tokenizer.") }
    let written = tokenizer.data.ggufMetadata()
    XCTAssertEqual(written.map(\.key), expected.map(\.key))
    for (w, e) in zip(written, expected) { XCTAssertEqual(w.value, e.value, w.key) }
  }

  func testWriteGGUFAndReadBack() throws {
    let data = try TokenizerFixtures.defaultModel().tokenizer.data
    let path = NSTemporaryDirectory() + "ssa-tokenizer-\(getpid()).gguf"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try GGUFWriter(
      path: path, metadata: [("general.architecture", .string("qwen2"))] + data.ggufMetadata(), tensors: [])
    try writer.finish()
    XCTAssertEqual(try TokenizerData(gguf: GGUFFile(path: path)), data)
  }

  /// The two tiny HF folders load to what llama.cpp's converter would write (expected-gguf.json, made
  /// by running its logic on the same folder) and tokenize like HF tokenizers.
  func testTinyHFFolders() throws {
    for name in ["tiny-hf", "tiny-hf-vocab"] {
      let dir = TokenizerFixtures.url(name).path
      let data = try TokenizerData(huggingFaceDirectory: dir)
      let expected = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(contentsOf: TokenizerFixtures.url("\(name)/expected-gguf.json")))
          as? [String: Any])
      XCTAssertEqual(data.tokens, expected["tokens"] as? [String], name)
      XCTAssertEqual(data.tokenTypes.map { Int($0.rawValue) }, expected["token_type"] as? [Int], name)
      XCTAssertEqual(data.merges, expected["merges"] as? [String], name)
      XCTAssertEqual(data.specialTokenIDs.map { [$0.role.idKey, String($0.id)] },
                     (expected["specials"] as? [[Any]])?.map { ["\($0[0])", "\($0[1])"] }, name)
      XCTAssertEqual(data.addTokenFlags.compactMap { f in f.role.addKey.map { [$0, "\(f.add)"] } },
                     (expected["flags"] as? [[Any]])?.map { ["\($0[0])", "\(($0[1] as? Bool) ?? false)"] }, name)
      XCTAssertEqual(data.chatTemplate, expected["chat_template"] as? String, name)

      let tokenizer = try Tokenizer(huggingFaceDirectory: dir)
      var failures = 0
      for g in try TokenizerFixtures.goldens("tiny-golden.jsonl") where tokenizer.encode(g.text, special: g.special) != g.ids {
        failures += 1
        if failures < 5 { XCTFail("\(name): \(g.text.debugDescription) special=\(g.special)") }
      }
      XCTAssertEqual(failures, 0, name)
    }
  }

  /// The default model's checkpoint folder, as the reference writes it from the GGUF (HF tokenizers'
  /// Qwen2 pipeline; tools/gen-tokenizer-fixtures --hf-folder-only, which also checks that llama.cpp's
  /// converter turns the folder back into the GGUF's metadata), loads to exactly the GGUF's tokenizer,
  /// by tokenizer.json and by vocab.json. Needs python3 with transformers, tokenizers and gguf
  /// (tools/setup installs them; not torch).
  func testDefaultModelHFFolder() throws {
    guard (try? TestSupport.run(["python3", "-c", "import transformers, tokenizers, gguf"]).status) == 0 else {
      throw XCTSkip("needs python3 with transformers, tokenizers and gguf: run tools/setup")
    }
    let model = try TestSupport.originalModelPath()
    let dir = TestSupport.temporaryDirectory() + "/tokenizer"
    defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
    let written = try TestSupport.run(["python3", TestSupport.tool("gen-tokenizer-fixtures"), "--gguf", model,
                                       "--hf-folder-only", dir])
    XCTAssertEqual(written.status, 0, written.stderr)
    let gguf = try TokenizerFixtures.defaultModel().tokenizer.data
    let folder = try TokenizerData(huggingFaceDirectory: dir)
    // field by field: a failure names the field instead of printing 150k tokens
    XCTAssertEqual(folder.model, gguf.model)
    XCTAssertEqual(folder.preTokenizer, gguf.preTokenizer)
    XCTAssertEqual(folder.tokens.count, gguf.tokens.count)
    XCTAssertTrue(folder.tokens == gguf.tokens, "tokens differ")
    XCTAssertTrue(folder.tokenTypes == gguf.tokenTypes, "token types differ")
    XCTAssertTrue(folder.merges == gguf.merges, "merges differ")
    XCTAssertEqual(folder.specialTokenIDs, gguf.specialTokenIDs)
    // The GGUF came from a llama.cpp converter that wrote add_bos_token only (from tokenizer_config.json);
    // the current one (llama-cpp-python 0.3.36's gguf-py, which ours follows) also reads the ByteLevel
    // post-processor and writes add_eos_token = false, llama.cpp's default when the key is absent.
    XCTAssertEqual(gguf.addTokenFlags, [TokenizerData.AddTokenFlag(.bos, false)])
    XCTAssertEqual(folder.addTokenFlags, gguf.addTokenFlags + [TokenizerData.AddTokenFlag(.eos, false)])
    XCTAssertTrue(folder.chatTemplate == gguf.chatTemplate, "chat templates differ")

    let vocabOnly = NSTemporaryDirectory() + "ssa-vocab-only-\(getpid())"
    try FileManager.default.createDirectory(atPath: vocabOnly, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: vocabOnly) }
    for file in ["vocab.json", "merges.txt", "tokenizer_config.json", "config.json"] {
      try FileManager.default.createSymbolicLink(atPath: vocabOnly + "/" + file, withDestinationPath: dir + "/" + file)
    }
    let data = try TokenizerData(huggingFaceDirectory: vocabOnly)
    XCTAssertEqual(data.tokens, gguf.tokens)
    XCTAssertEqual(data.tokenTypes, gguf.tokenTypes)
    XCTAssertEqual(data.merges, gguf.merges)
    // gguf-py finds no added tokens to name special ids by without tokenizer.json; config.json gives them.
    XCTAssertEqual(data.eosTokenId, 151_645)
    XCTAssertEqual(data.bosTokenId, 151_643)
  }

  func testRefusesWhatItCannotTokenizeExactly() throws {
    let base = TokenizerData(
      model: "gpt2", preTokenizer: "qwen2", tokens: (0..<256).map { ByteEncoder.token(ofBytes: [UInt8($0)]) } + ["ab"],
      tokenTypes: [TokenizerData.TokenType](repeating: .normal, count: 257), merges: ["a b"])
    XCTAssertNoThrow(try Tokenizer(data: base))

    var data = base
    data.preTokenizer = "llama-bpe"
    XCTAssertThrowsError(try Tokenizer(data: data)) { XCTAssertEqual($0 as? TokenizerError, .unsupportedPreTokenizer("llama-bpe")) }
    data = base
    data.model = "llama"
    XCTAssertThrowsError(try Tokenizer(data: data)) { XCTAssertEqual($0 as? TokenizerError, .unsupportedModel("llama")) }
    data = base
    data.merges = ["a c"]
    XCTAssertThrowsError(try Tokenizer(data: data)) {
      guard case .badMerge(index: 0, merge: "a c", _) = $0 as? TokenizerError else { return XCTFail("\($0)") }
    }
    data = base
    data.tokens[0x41] = "[PAD65]"
    data.tokenTypes[0x41] = .unused
    XCTAssertThrowsError(try Tokenizer(data: data)) { XCTAssertEqual($0 as? TokenizerError, .missingByteToken(0x41)) }
    data = base
    data.tokenTypes.removeLast()
    XCTAssertThrowsError(try Tokenizer(data: data))

    XCTAssertThrowsError(try TokenizerData(huggingFaceDirectory: "/nonexistent-folder")) {
      guard case .cannotRead = $0 as? TokenizerError else { return XCTFail("\($0)") }
    }
    // A tokenizer.json with another split regex is refused, not tokenized differently.
    let dir = NSTemporaryDirectory() + "ssa-other-regex-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var json = try String(contentsOf: TokenizerFixtures.url("tiny-hf/tokenizer.json"), encoding: .utf8)
    json = json.replacingOccurrences(of: #"\\p{N}|"#, with: #"\\p{N}{1,3}|"#)
    try json.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try TokenizerData(huggingFaceDirectory: dir)) {
      guard case .unsupportedPreTokenizer = $0 as? TokenizerError else { return XCTFail("\($0)") }
    }
  }

  func testGGUFWithoutTokenizerIsAnError() throws {
    let path = NSTemporaryDirectory() + "ssa-no-tokenizer-\(getpid()).gguf"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try GGUFWriter(path: path, metadata: [("general.architecture", .string("qwen2"))], tensors: [])
    try writer.finish()
    XCTAssertThrowsError(try Tokenizer(gguf: GGUFFile(path: path))) {
      XCTAssertEqual($0 as? TokenizerError, .missingKey("tokenizer.ggml.model"))
    }
  }
}
