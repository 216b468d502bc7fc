import ArgumentParser
import Foundation
import SSAKit

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Accuracy on requests with a gold answer: pass@1, majority vote, oracle pass@k, and the model aggregator.",
    discussion: """
      Each method of --methods (default: --method) gets a row: its accuracy in the samples' given order and, \
      with --shuffle R, over R seeded shuffles of each record's samples (real sample sets have no order; a \
      zero-shot model copies the sample it read last), its paired wins and losses against majority vote \
      on the same orders, its model time per record and its position bias (how often its answer is the \
      answer of the sample in each position). generate also gets a --skip-unanimous row, derived from the \
      same run. --k 1,2,3,4 repeats the table for the first k samples of each order, and --plot draws \
      accuracy against k. Per-record results go to --output.
      """)

  @OptionGroup var model: ModelOption
  @OptionGroup var aggregation: AggregationOptionGroup
  @OptionGroup var threads: ThreadsOption
  @OptionGroup var parallel: ParallelOptions

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

  @Option(help: "Methods to compare, comma-separated (see --method; default: --method). Scoring methods share the model's evidence on each sample set.")
  var methods: String?

  @Option(parsing: .unconditional, help: "Also grade each record under R seeded shuffles of its samples (--seed).")
  var shuffle = 0

  @Option(help: "With a --k list: draw accuracy against k as an SVG chart to this file.")
  var plot: String?

  @Flag(name: .shortAndLong, help: "No progress on stderr.")
  var quiet = false

  @Option(parsing: .unconditional, help: "Longest input line read, in bytes; a longer line becomes an error record.")
  var maxLineBytes = 64 << 20

  var methodList: [AggregationMethod]? {
    methods.map { $0.split(separator: ",").compactMap { AggregationMethod(rawValue: $0.trimmingCharacters(in: .whitespaces)) } }
  }

  func validate() throws {
    if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    if let methods {
      let names = methods.split(separator: ",", omittingEmptySubsequences: false)
      guard let list = methodList, list.count == names.count, !list.isEmpty else {
        throw ValidationError("--methods takes a comma-separated list of \(AggregationMethod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(methods)'")
      }
      if Set(list).count != list.count { throw ValidationError("--methods lists a method twice") }
    }
    guard (0...1000).contains(shuffle) else { throw ValidationError("--shuffle must be between 0 and 1000") }
    if plot != nil, (aggregation.k?.values.count ?? 0) < 2 { throw ValidationError("--plot draws a --k sweep: give --k a list such as 1,2,3,4") }
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
    let engine = noModel ? nil : try makeEngine(model: model, threads: threads, parallel: parallel)
    let options = aggregation.options(recordedFormat: engine?.recordedPromptFormat)
    let methods = methodList ?? [options.method]
    let calibration = try engine?.recordedCalibration()
    if methods.contains(.calibrated), calibration == nil, engine != nil {
      throw CommandLineError("\(AggregationError.notCalibrated)")
    }
    let evaluator = Evaluator(engine: engine, options: options, calibration: calibration, methods: methods,
                              shuffles: shuffle, seed: aggregation.seed, ks: aggregation.k?.values)
    let started = Date()
    let stream = RecordStream(reader: reader, sink: sink, progress: quiet ? nil : ProgressMeter(totalBytes: reader.totalBytes))
    var graded = 0
    let summary = try stream.run(
      parallel: engine == nil ? 1 : parallel.requests,
      accept: { request in
        guard request.gold != nil else { return true }
        graded += 1
        return limit.map { graded <= $0 } ?? true
      },
      work: { request, index in try evaluator.grade(request, index: index) },
      record: { _, result in evaluator.add(result) },
      stop: { engine?.engine.cancelAll() })
    evaluator.addFailedLines(summary.failed)
    evaluator.finish(wallSeconds: Date().timeIntervalSince(started))
    let sweep = KSweep(summaries: evaluator.summaries)
    if json {
      print(evaluator.summaries.count > 1 ? sweep.json.serialized : evaluator.summary.json.serialized)
    } else {
      print(evaluator.summaries.map(\.table).joined(separator: "\n\n"))
      if evaluator.summaries.count > 1 { print("\n" + sweep.table) }
    }
    if let plot {
      do {
        try sweep.svg.write(toFile: plot, atomically: true, encoding: .utf8)
      } catch {
        throw CommandLineError("cannot write \(plot): \(error.localizedDescription)")
      }
    }
    if summary.interrupted { throw ExitCode(130) }
    if evaluator.summary.records == 0 { throw InputFailure(message: "no record with a gold answer in \(input)") }
    if evaluator.summary.failed > 0 { throw ExitCode(1) }
  }
}
