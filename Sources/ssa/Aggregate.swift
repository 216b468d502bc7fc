import ArgumentParser
import SSAKit

struct Aggregate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Aggregate each request's samples into one answer with the model.",
    discussion: """
      Input: JSON lines {"id": any, "question": str, "samples": [str, ...]}, one request per line; or one \
      plain-text request: the question, then each sample, separated by lines holding only ---. Output: one \
      JSON record per input line, in order: id, answer, source (model, unanimous, fallback), majority, \
      agreement, prompt_tokens, generated_tokens, seconds (+ reasoning, scores). A bad line gives \
      {"id", "line", "error"} and the run goes on. Exit status 0: all answered; 1: some records failed; \
      2: usage error; 130: interrupted (finished records are written).
      """)

  @OptionGroup var model: ModelOption
  @OptionGroup var stream: StreamOptions
  @OptionGroup var aggregation: AggregationOptionGroup

  func run() throws {
    let engine = try makeEngine(model: model, threads: aggregation.threads)
    let aggregator = Aggregator(engine: engine, options: aggregation.options(recordedFormat: engine.recordedPromptFormat))
    try RequestRunner.run(stream) { request in
      try aggregator.aggregate(question: request.question, samples: request.samples)
    }
  }
}

/// The model runtime is not part of this build yet.
struct ModelRuntimeUnavailable: Error, CustomStringConvertible {
  var description: String {
    "model runtime not available yet (the forward pass is not merged); 'ssa vote' and 'ssa eval --no-model' work without it"
  }
}

/// THE construction point of the model engine, used by `ssa aggregate` and `ssa eval`.
/// LEAD: replace the body with the real engine (load `model.resolve()` with `threads`) before merging
/// to main. Until then it refuses, rather than pretending.
func makeEngine(model: ModelOption, threads: Int?) throws -> AggregationEngine {
  throw ModelRuntimeUnavailable()
}
