import ArgumentParser
import CKernels
import Foundation
import SSAKit

struct Generate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Continue a prompt with the model, streaming the text to stdout.",
    discussion: "The timing summary (prompt and generation tokens/s) goes to stderr.")

  @OptionGroup var modelOption: ModelOption

  @Option(help: "The prompt text.")
  var prompt: String?

  @Option(help: "Read the prompt from this file instead (UTF-8, used as is).")
  var promptFile: String?

  @Option(parsing: .unconditional, help: "Maximum number of new tokens.")
  var maxTokens = 256

  @OptionGroup var sampling: SamplingOptions

  @Flag(help: "Parse special tokens such as <|im_start|> in the prompt (chat prompts).")
  var special = false

  @Option(help: "Stop after this string (repeatable), e.g. </answer>.")
  var stop: [String] = []

  @OptionGroup var threads: ThreadsOption

  @Flag(help: "Do not stop at the end-of-text tokens: generate exactly --max-tokens (benchmarks).")
  var ignoreEos = false

  @Option(help: "Weights: native (kernel types used in place, others requantized to Q8_0) or f32.")
  var weights = "native"

  @Option(help: "KV cache type: f16 or f32.")
  var cacheType = "f16"

  func validate() throws {
    guard (1...maxTokensLimit).contains(maxTokens) else {
      throw ValidationError("--max-tokens must be between 1 and \(maxTokensLimit), got \(maxTokens)")
    }
    guard WeightPrecision(rawValue: weights) != nil else { throw ValidationError("--weights is native or f32") }
    guard ["f16", "f32"].contains(cacheType) else { throw ValidationError("--cache-type is f16 or f32") }
  }

  func run() throws {
    // checked here rather than in validate(), so that an unknown option is reported first
    guard (prompt == nil) != (promptFile == nil) else {
      throw CommandLineError("give the prompt with exactly one of --prompt and --prompt-file")
    }
    let text = try promptFile.map(CommandLineError.readText) ?? prompt ?? ""
    let path = try modelOption.resolve()
    threads.apply()
    let model = try Qwen2Model(path: path, precision: WeightPrecision(rawValue: weights)!)
    let tokenizer = try Tokenizer(gguf: model.file)
    let tokens = tokenizer.encode(text, special: special)
    guard !tokens.isEmpty else { throw CommandLineError("the prompt is empty") }
    let capacity = min(model.config.contextLength, tokens.count + maxTokens)
    let session = try Session(model: model, capacity: capacity, cacheType: cacheType == "f32" ? .f32 : .f16)
    let generator = Generator(model: model, tokenizer: tokenizer)
    let settings = GenerationSettings(
      maxTokens: maxTokens, sampling: sampling.settings, stopSequences: stop, stopTokens: ignoreEos ? [] : generator.defaultStopTokens)
    let out = FileHandle.standardOutput
    let result = try generator.generate(prompt: tokens, session: session, settings: settings) { piece in
      // A closed stdout (EPIPE) ends generation quietly.
      (try? out.write(contentsOf: Data(piece.utf8))) != nil
    }
    print("")
    Diagnostics.note(String(
      format: "prompt: %d tokens, %.1f tok/s | generated: %d tokens, %.1f tok/s | stop: %@",
      result.promptTokens, result.prefillTokensPerSecond, result.tokens.count, result.decodeTokensPerSecond,
      result.stopReason.rawValue))
  }
}
