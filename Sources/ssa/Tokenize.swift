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
    let (tokenizer, readSeconds, buildSeconds) = try Tokenize.load(path)
    let input: [UInt8] = text.map { Array($0.utf8) } ?? Array(FileHandle.standardInput.readDataToEndOfFile())

    if decode {
      let ids = try Tokenize.parseIDs(input, vocabularySize: tokenizer.vocabularySize)
      let bytes = tokenizer.decodedBytes(ids)
      FileHandle.standardOutput.write(Data(String(decoding: bytes, as: UTF8.self).utf8))
      return
    }

    guard let string = String(validating: input, as: UTF8.self) else {
      let offset = Tokenize.firstInvalidUTF8(input) ?? 0
      throw InputFailure(message:
        "input is not valid UTF-8: bad byte 0x\(String(input[offset], radix: 16)) at offset \(offset)")
    }
    let clock = (wall: Date(), cpu: Tokenize.threadCPUSeconds())
    let ids = tokenizer.encode(string, special: special)
    let encodeSeconds = (wall: Date().timeIntervalSince(clock.wall), cpu: Tokenize.threadCPUSeconds() - clock.cpu)
    FileHandle.standardOutput.write(Data(Tokenize.jsonArray(ids)))

    if stats {
      let megabytes = Double(input.count) / 1e6
      Diagnostics.writeStderr(String(
        format: "ssa tokenize: read %d tokens in %.3f s, built the tokenizer in %.3f s; encoded %d bytes into "
          + "%d ids in %.3f s (%.3f s CPU): %.2f MB/s (%.2f MB/s CPU)\n",
        tokenizer.vocabularySize, readSeconds, buildSeconds, input.count, ids.count, encodeSeconds.wall,
        encodeSeconds.cpu, megabytes / max(encodeSeconds.wall, 1e-9), megabytes / max(encodeSeconds.cpu, 1e-9)))
    }
  }

  /// `[1,2,3]` and a newline.
  static func jsonArray(_ ids: [Int]) -> [UInt8] {
    var out: [UInt8] = [0x5B]
    out.reserveCapacity(ids.count * 7 + 2)
    var digits = [UInt8](repeating: 0, count: 20)
    for (i, id) in ids.enumerated() {
      if i > 0 { out.append(0x2C) }
      var v = id
      var n = 0
      repeat {
        digits[n] = UInt8(0x30 + v % 10)
        v /= 10
        n += 1
      } while v > 0
      while n > 0 {
        n -= 1
        out.append(digits[n])
      }
    }
    out += [0x5D, 0x0A]
    return out
  }

  /// CPU time of this thread: the machine may be shared, so throughput is also given per CPU second.
  static func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  /// A GGUF file, or an HF checkpoint folder; with the seconds spent reading the files and building.
  static func load(_ path: String) throws -> (Tokenizer, read: Double, build: Double) {
    let start = Date()
    var isDirectory: ObjCBool = false
    let data: TokenizerData
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      data = try TokenizerData(huggingFaceDirectory: path)
    } else {
      data = try TokenizerData(gguf: GGUFFile(path: path))
    }
    let read = Date()
    let tokenizer = try Tokenizer(data: data)
    return (tokenizer, read.timeIntervalSince(start), Date().timeIntervalSince(read))
  }

  static func parseIDs(_ input: [UInt8], vocabularySize: Int) throws -> [Int] {
    guard case .array(let list)? = try? JSON.parse(input) else {
      throw InputFailure(message: "--decode expects a JSON array of token ids")
    }
    return try list.enumerated().map { i, item in
      let id: Int?
      switch item {
      case .int(let n): id = n
      case .double(let x): id = Int(exactly: x)
      default: id = nil  // true is not token 1
      }
      guard let id, id >= 0, id < vocabularySize else {
        throw InputFailure(message: "--decode: element \(i) (\(item.serialized)) is not a token id from 0 to \(vocabularySize - 1)")
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
