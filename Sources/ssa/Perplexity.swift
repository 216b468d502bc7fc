import ArgumentParser
import CKernels
import Foundation
import SSAKit

struct PerplexityCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "perplexity",
    abstract: "Chunked perplexity of a text file, as llama.cpp's llama-perplexity computes it.",
    discussion: "Each window of --ctx tokens is run from an empty cache and its second half is scored.")

  @OptionGroup var modelOption: ModelOption

  @Option(name: .shortAndLong, help: "Text file to score.")
  var file: String

  @Option(parsing: .unconditional, help: "Window length in tokens.")
  var ctx = 512

  @Option(parsing: .unconditional, help: "Score at most this many windows (default: all).")
  var chunks: Int?

  @OptionGroup var threads: ThreadsOption

  @Option(help: "Weights: native (kernel types used in place, others requantized to Q8_0) or f32.")
  var weights = "native"

  @Option(help: "KV cache type: f16 or f32.")
  var cacheType = "f16"

  func validate() throws {
    guard ctx >= 16 else { throw ValidationError("--ctx must be at least 16") }
    if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1") }
    guard WeightPrecision(rawValue: weights) != nil else { throw ValidationError("--weights is native or f32") }
    guard ["f16", "f32"].contains(cacheType) else { throw ValidationError("--cache-type is f16 or f32") }
  }

  func run() throws {
    let path = try modelOption.resolve()
    threads.apply()
    let text = try CommandLineError.readText(file)
    let model = try Qwen2Model(path: path, precision: WeightPrecision(rawValue: weights)!)
    let tokenizer = try Tokenizer(gguf: model.file)
    guard ctx <= model.config.contextLength else {
      throw CommandLineError("--ctx \(ctx) is longer than the model's context of \(model.config.contextLength) tokens")
    }
    let tokens = tokenizer.encode(text, special: false)
    let addBOS = model.file["tokenizer.ggml.add_bos_token"] == .bool(true) ? tokenizer.bosTokenId : nil
    guard tokens.count >= 2 * ctx || (tokens.count >= ctx && chunks != nil) else {
      throw InputFailure(message: "\(file) has \(tokens.count) tokens; need at least \(2 * ctx) for --ctx \(ctx)")
    }
    Diagnostics.note("perplexity: \(tokens.count) tokens, \(tokens.count / ctx) windows of \(ctx)")
    let result = try Perplexity.evaluate(
      model: model, tokens: tokens, context: ctx, maxChunks: chunks, addBOS: addBOS,
      cacheType: cacheType == "f32" ? .f32 : .f16
    ) { chunk, estimate in
      Diagnostics.writeStderr("[\(chunk)]\(String(format: "%.4f", estimate)),")
    }
    Diagnostics.writeStderr("\n")
    print(String(format: "Final estimate: PPL = %.4f over %d chunks of %d tokens (%d scored), %.1f s",
                 result.perplexity, result.chunks, ctx, result.scoredTokens, result.seconds))
  }
}
