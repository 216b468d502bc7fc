import ArgumentParser
import Foundation
import SSAKit

struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Convert an HF checkpoint folder (safetensors) or a GGUF file to a GGUF of another type.",
    discussion: """
      One step, no Python: reads config.json, the (sharded) safetensors and the tokenizer files, or any \
      GGUF this tool can read, and writes llama.cpp's tensor names and metadata keys, tensor by tensor. \
      Norms and biases stay F32. The output appears only when complete and loadable (checked as the \
      other commands load it). Exit status 0: written; 1: bad input, nothing written; 2: usage error \
      (an output path that is empty, a directory or a file of the checkpoint); 130: interrupted, \
      nothing written.
      """)

  @Argument(help: "Checkpoint folder or GGUF file.")
  var input: String

  @Option(name: .shortAndLong, help: "Output file (default: <input>-<type>.gguf beside the input).")
  var output: String?

  @Option(name: .customLong("type"), help: "Type of the weight matrices: f32, f16, bf16, q8_0, q4_0.")
  var outputType = "q8_0"

  @Option(help: "Type of the output head, or of a tied embedding (default: q8_0 in q4_0 files, else --type).")
  var headType: String?

  @Option(help: "Type of an untied token embedding (default: --type).")
  var embeddingType: String?

  @Option(help: "Prompt format to record: ssa, chat or answer (default: inferred from the model's name).")
  var promptFormat: String?

  @Flag(help: "Quantize Q4_0 by plain rounding instead of the per-block scale search.")
  var q4RoundToNearest = false

  @Flag(help: "Quantize Q8_0 by plain rounding (GGML's reference quantizer, 5x faster) instead of the per-block scale search.")
  var q8RoundToNearest = false

  @Option(help: "general.name to record (default: the input's name).")
  var name: String?

  static let types: [String: GGMLType] = ["f32": .f32, "f16": .f16, "bf16": .bf16, "q8_0": .q8_0, "q4_0": .q4_0]

  func validate() throws {
    guard Self.types[outputType.lowercased()] != nil else {
      throw ValidationError("--type must be one of f32, f16, bf16, q8_0, q4_0 (got \(outputType))")
    }
    for (flag, value) in [("--embedding-type", embeddingType), ("--head-type", headType)] {
      if let value, Self.types[value.lowercased()] == nil {
        throw ValidationError("\(flag) must be one of f32, f16, bf16, q8_0, q4_0 (got \(value))")
      }
    }
    if let f = promptFormat, !ConvertOptions.promptFormats.contains(f) {
      throw ValidationError("--prompt-format must be ssa, chat or answer (got \(f))")
    }
  }

  func run() throws {
    var options = ConvertOptions()
    options.outputType = Self.types[outputType.lowercased()]!
    options.embeddingType = embeddingType.map { Self.types[$0.lowercased()]! }
    options.headType = headType.map { Self.types[$0.lowercased()]! }
    options.promptFormat = promptFormat
    options.q4ScaleSearch = !q4RoundToNearest
    options.q8ScaleSearch = !q8RoundToNearest
    options.name = name
    let summary = try Self.convert(input: input, output: output, options: options)
    print(summary.path)
  }

  struct Result {
    var path: String
    var summary: ConvertSummary
  }

  /// Convert with progress on stderr; SIGINT stops at the next chunk, removes the partial file and
  /// exits with 130. A bad output path is a usage error (status 2).
  @discardableResult
  static func convert(input: String, output: String?, options: ConvertOptions) throws -> Result {
    SignalHandling.install()
    // Writing past a file-size limit must fail as an error (EFBIG), not kill the process.
    signal(SIGXFSZ, SIG_IGN)
    // an input that is not there is a usage error (status 2) naming it; a bad one is status 1
    guard FileManager.default.fileExists(atPath: input) else {
      throw CommandLineError("cannot open \(input): \(String(cString: strerror(ENOENT)))")
    }
    let converter = try Converter(input: input, options: options)
    let target = output ?? defaultOutput(input: input, type: options.outputType)
    do {
      try converter.checkOutput(target)
    } catch let error as ConvertError where error.isOutputPathError {
      throw CommandLineError(error.description)
    }
    Diagnostics.note("convert: \(input) -> \(target) (\(options.outputType.name), \(converter.tensors.count) tensors)")
    let summary: ConvertSummary
    do {
      summary = try converter.write(to: target, progress: { p in
        let shape = p.shape.map(String.init).joined(separator: " x ")
        Diagnostics.progress(
          "[\(p.index)/\(p.count)] \(p.name) \(p.type.name) \(shape), \(p.bytesWritten / 1_048_576) MiB written",
          final: p.index == p.count)
      }, isCancelled: { SignalHandling.interrupted })
    } catch ConvertError.interrupted {
      // As the other commands: a line saying so, and 130 (128 + SIGINT).
      Diagnostics.writeStderr("ssa: \(ConvertError.interrupted)\n")
      throw ExitCode(130)
    }
    Diagnostics.note(String(
      format: "convert: %d tensors, %.1f MiB in %.1f s; prompt format \"%@\" (%@)", summary.tensorCount,
      Double(summary.bytes) / 1_048_576, summary.seconds, summary.promptFormat, summary.promptFormatReason))
    return Result(path: target, summary: summary)
  }

  static func defaultOutput(input: String, type: GGMLType) -> String {
    var base = URL(fileURLWithPath: input).standardizedFileURL.path
    while base.hasSuffix("/") { base.removeLast() }
    if base.hasSuffix(".gguf") { base.removeLast(5) }
    return base + "-" + type.name.lowercased() + ".gguf"
  }
}
