import ArgumentParser
import CKernels
import SSAKit

struct Aggregate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Aggregate each request's samples into one answer with the model.",
    discussion: """
      Input: JSON lines {"id": any, "question": str, "samples": [str, ...]}, one request per line; or one \
      plain-text request: the question, then each sample, separated by lines holding only ---. Output: one \
      JSON record per input line, in order: id, answer, source (model, unanimous, fallback), majority, \
      agreement, prompt_tokens, generated_tokens, seconds (+ reasoning, scores). A bad line gives \
      {"id", "line", "error"} and the run goes on. Exit status 0: every line gave a record (null answers included); 1: some lines gave error records, or the input was empty; \
      2: usage error; 130: interrupted (finished records are written).
      """)

  @OptionGroup var model: ModelOption
  @OptionGroup var stream: StreamOptions
  @OptionGroup var aggregation: AggregationOptionGroup
  @OptionGroup var threads: ThreadsOption
  @OptionGroup var parallel: ParallelOptions

  func validate() throws {
    if let k = aggregation.k, k.values.count > 1 { throw ValidationError("--k takes one number here (ssa eval sweeps a list)") }
  }

  func run() throws {
    try RequestRunner.run(stream, parallel: parallel.requests) {
      let engine = try makeEngine(model: model, threads: threads, parallel: parallel)
      let options = aggregation.options(recordedFormat: engine.recordedPromptFormat)
      let aggregator = Aggregator(engine: engine, options: options, calibration: try engine.recordedCalibration())
      return RequestRunner.Handler(cancel: { engine.engine.cancelAll() }) { request in
        try aggregator.aggregate(question: request.question, samples: request.samples)
      }
    }
  }
}

/// The model engine used by `ssa aggregate` and `ssa eval`: the model file (the default model unless
/// --model), its tokenizer, and the kernels' thread count.
func makeEngine(model: ModelOption, threads: ThreadsOption, parallel: ParallelOptions? = nil) throws -> ModelEngine {
  threads.apply()
  let qwen = try Qwen2Model(path: try model.resolve())
  let tokenizer = try Tokenizer(gguf: qwen.file)
  return ModelEngine(model: qwen, tokenizer: tokenizer, parallel: parallel?.requests ?? 1,
                     memoryBudget: parallel?.budget ?? BatchEngine.defaultMemoryBudget)
}
