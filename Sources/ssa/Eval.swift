import ArgumentParser
import Foundation
import SSAKit

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Accuracy on requests with a gold answer: pass@1, majority vote, oracle pass@k, and the model aggregator.",
    discussion: """
      The model rows are the aggregator as configured, and the same with --skip-unanimous (derived from \
      the same run: unanimous sample sets take their answer at no cost). Per-record results go to --output.
      """)

  @OptionGroup var model: ModelOption
  @OptionGroup var aggregation: AggregationOptionGroup
  @OptionGroup var threads: ThreadsOption

  @Option(name: .shortAndLong, help: "JSON lines with 'gold' answers.")
  var input: String

  @Option(parsing: .unconditional, help: "Evaluate the first N records that have a gold answer.")
  var limit: Int?

  @Option(name: .shortAndLong, help: "Write per-record results (JSON lines) to this file.")
  var output: String?

  @Flag(help: "Print the summary as one JSON object instead of a table.")
  var json = false

  @Flag(help: "Baselines only: do not load or run a model.")
  var noModel = false

  @Flag(name: .shortAndLong, help: "No progress on stderr.")
  var quiet = false

  @Option(parsing: .unconditional, help: "Longest input line read, in bytes; a longer line becomes an error record.")
  var maxLineBytes = 64 << 20

  func validate() throws {
    if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    guard maxLineBytes >= 1 else { throw ValidationError("--max-line-bytes must be 1 or more") }
  }

  func run() throws {
    SignalHandling.install()
    Diagnostics.quiet = quiet
    let reader: LineReader
    let sink: OutputSink?
    do {
      reader = try LineReader(path: input, maxLineBytes: maxLineBytes)
      sink = try output.map { try OutputSink(path: $0, notOverwriting: reader.fileIdentity) }
    } catch {
      throw CommandLineError("\(error)")
    }
    let engine = noModel ? nil : try makeEngine(model: model, threads: threads)
    let evaluator = Evaluator(engine: engine, options: aggregation.options(recordedFormat: engine?.recordedPromptFormat))
    let started = Date()
    let stream = RecordStream(reader: reader, sink: sink, progress: quiet ? nil : ProgressMeter(totalBytes: reader.totalBytes))
    let summary = try stream.run(until: { limit.map { evaluator.summary.records >= $0 } ?? false }) { request in
      try evaluator.evaluate(request)
    }
    evaluator.addFailedLines(summary.failed)
    evaluator.finish(wallSeconds: Date().timeIntervalSince(started))
    print(json ? evaluator.summary.json.serialized : evaluator.summary.table)
    if summary.interrupted { throw ExitCode(130) }
    if evaluator.summary.records == 0 { throw InputFailure(message: "no record with a gold answer in \(input)") }
    if evaluator.summary.failed > 0 { throw ExitCode(1) }
  }
}
