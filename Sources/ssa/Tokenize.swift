import ArgumentParser
import Foundation
import SSAKit

struct Tokenize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Text to token ids (a JSON array), or with --decode, ids back to text.",
    discussion: """
      Reads stdin (or --text). Encoding prints one JSON array of ids and a newline; decoding prints the \
      text exactly, with no newline added, so `ssa tokenize | ssa tokenize --decode` gives back the input. \
      Input that is not valid UTF-8 is refused with the offset of the first bad byte. --model also takes \
      an HF checkpoint folder (tokenizer.json, or vocab.json and merges.txt).
      """)

  @OptionGroup var model: ModelOption

  @Flag(help: "Match special tokens such as <|im_start|> in the text as single ids (chat prompts). Without it they are plain text.")
  var special = false

  @Flag(help: "Read a JSON array of ids and print their text.")
  var decode = false

  @Option(help: "The input, instead of stdin.")
  var text: String?

  @Flag(help: "Print load and encode times and throughput to stderr.")
  var stats = false

  func run() throws {
    let path = try model.resolve()
    let loadStart = Date()
    let tokenizer = try Tokenize.load(path)
    let loadSeconds = Date().timeIntervalSince(loadStart)
    let input: [UInt8] = text.map { Array($0.utf8) } ?? Array(FileHandle.standardInput.readDataToEndOfFile())

    if decode {
      let ids = try Tokenize.parseIDs(input, vocabularySize: tokenizer.vocabularySize)
      let bytes = tokenizer.decodedBytes(ids)
      FileHandle.standardOutput.write(Data(String(decoding: bytes, as: UTF8.self).utf8))
      return
    }

    if let offset = Tokenize.firstInvalidUTF8(input) {
      throw CommandLineError(
        "input is not valid UTF-8: bad byte 0x\(String(input[offset], radix: 16)) at offset \(offset)")
    }
    let encodeStart = Date()
    let ids = input.withUnsafeBufferPointer { tokenizer.encode(utf8: $0, special: special) }
    let encodeSeconds = Date().timeIntervalSince(encodeStart)

    var out: [UInt8] = [0x5B]
    out.reserveCapacity(ids.count * 7 + 2)
    for (i, id) in ids.enumerated() {
      if i > 0 { out.append(0x2C) }
      out.append(contentsOf: String(id).utf8)
    }
    out += [0x5D, 0x0A]
    FileHandle.standardOutput.write(Data(out))

    if stats {
      let mbps = Double(input.count) / 1e6 / max(encodeSeconds, 1e-9)
      Diagnostics.writeStderr(String(
        format: "ssa tokenize: loaded %d tokens in %.3f s; encoded %d bytes into %d ids in %.3f s: %.2f MB/s\n",
        tokenizer.vocabularySize, loadSeconds, input.count, ids.count, encodeSeconds, mbps))
    }
  }

  /// A GGUF file, or an HF checkpoint folder.
  static func load(_ path: String) throws -> Tokenizer {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      return try Tokenizer(huggingFaceDirectory: path)
    }
    return try Tokenizer(gguf: GGUFFile(path: path))
  }

  static func parseIDs(_ input: [UInt8], vocabularySize: Int) throws -> [Int] {
    guard let value = try? JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed]),
      let list = value as? [Any]
    else { throw CommandLineError("--decode expects a JSON array of token ids") }
    return try list.enumerated().map { i, item in
      guard let number = item as? NSNumber, let id = Int(exactly: number.doubleValue), id >= 0, id < vocabularySize else {
        throw CommandLineError("--decode: element \(i) (\(item)) is not a token id from 0 to \(vocabularySize - 1)")
      }
      return id
    }
  }

  /// The offset of the first byte that is not part of valid UTF-8, or nil if all of it is valid.
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded): offset += encoded.count
      case .emptyInput: return nil
      case .error: return offset
      }
    }
  }
}
