import ArgumentParser
import SSAKit

/// Runs one answer-per-request command over its input: JSON lines (records out, one per line) or one
/// plain-text request (just the answer out). Exit status: 0 all records answered, 1 some failed,
/// 130 interrupted; a closed output pipe ends the run quietly.
enum RequestRunner {
  static func run(_ options: StreamOptions, handle: (AggregationRequest) throws -> AggregationResult) throws {
    SignalHandling.install()
    Diagnostics.quiet = options.quiet
    let reader = try options.openReader()
    reader.shouldStop = { SignalHandling.interrupted }
    let first = try reader.peekFirstNonSpace()
    if SignalHandling.interrupted { throw ExitCode(130) }
    if let first, first != UInt8(ascii: "{") {
      try runPlainText(reader, options, handle: handle)
      return
    }
    let sink = try options.openSink()
    let progress = options.quiet ? nil : ProgressMeter(totalBytes: reader.totalBytes)
    let summary = try RecordStream(reader: reader, sink: sink, progress: progress).run { request in
      try handle(request).record(id: request.id)
    }
    if summary.interrupted {
      Diagnostics.writeStderr("ssa: interrupted after \(summary.records) records\n")
      throw ExitCode(130)
    }
    if summary.failed > 0 {
      if !summary.outputClosed { Diagnostics.note("ssa: \(summary.failed) of \(summary.records) records failed") }
      throw ExitCode(1)
    }
  }

  private static func runPlainText(_ reader: LineReader, _ options: StreamOptions,
                                   handle: (AggregationRequest) throws -> AggregationResult) throws {
    let bytes = try reader.readAll()
    if SignalHandling.interrupted { throw ExitCode(130) }
    let request = try AggregationRequest.parse(plainText: bytes)
    let result = try handle(request)
    let sink = try options.openSink()
    if options.json {
      try sink.writeLine(result.record(id: .null).serialized)
    } else if let answer = result.answer {
      try sink.writeLine(answer)
    }
    if result.answer == nil {
      Diagnostics.writeStderr("ssa: no answer\n")
      throw ExitCode(1)
    }
  }
}
