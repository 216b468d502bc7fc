import ArgumentParser
import SSAKit

/// Runs one answer-per-request command over its input: JSON lines (records out, one per line) or one
/// plain-text request (just the answer out). Exit status: 0 every line gave a record, 1 some failed,
/// 130 interrupted; a closed output pipe ends the run quietly.
enum RequestRunner {
  /// What answers a request, safe to call from several threads at once, and how to cancel the
  /// requests in flight.
  struct Handler: Sendable {
    var cancel: @Sendable () -> Void = {}
    let answer: @Sendable (AggregationRequest) throws -> AggregationResult

    init(cancel: @escaping @Sendable () -> Void = {}, answer: @escaping @Sendable (AggregationRequest) throws -> AggregationResult) {
      self.cancel = cancel
      self.answer = answer
    }
  }

  /// Reads the input, then asks `makeHandler` (which may load a model) only when there is a request;
  /// `parallel` requests are in flight at once.
  static func run(_ options: StreamOptions, parallel: Int = 1, makeHandler: () throws -> Handler) throws {
    SignalHandling.install()
    Diagnostics.quiet = options.quiet
    let reader = try options.openReader()
    reader.shouldStop = { SignalHandling.interrupted }
    let first = try reader.peekFirstNonSpace()
    if SignalHandling.interrupted { throw ExitCode(130) }
    guard let first else {
      throw InputFailure(message: "empty input: \(options.input == "-" ? "standard input" : options.input) holds no request")
    }
    try options.checkSink(input: reader)  // before a model loads; the file is created after
    switch options.inputFormat {
    case .text: return try runPlainText(reader, options, makeHandler)
    case .auto where first != UInt8(ascii: "{"): return try runPlainText(reader, options, makeHandler)
    case .auto, .jsonl: break
    }
    let handle = try makeHandler()
    let sink = try options.openSink(input: reader)
    let progress = options.quiet ? nil : ProgressMeter(totalBytes: reader.totalBytes)
    let summary = try RecordStream(reader: reader, sink: sink, progress: progress).run(
      parallel: parallel, work: { request, _ in try handle.answer(request) },
      record: { request, result in result.record(id: request.id) }, stop: handle.cancel)
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
                                   _ makeHandler: () throws -> Handler) throws {
    let bytes: [UInt8]
    do {
      bytes = try reader.readAll(maxBytes: options.maxLineBytes)
    } catch let failure as LineReader.Failure {
      throw InputFailure(message: "plain-text request: \(failure) (--max-line-bytes)")
    }
    if SignalHandling.interrupted { throw ExitCode(130) }
    let request: AggregationRequest
    do {
      request = try AggregationRequest.parse(plainText: bytes)
    } catch let failure as RequestFailure {
      // JSON lines after a stray first line read as one plain-text request: say how to read them.
      let looksLikeJSONLines = options.inputFormat == .auto
        && bytes.split(separator: 0x0A).dropFirst().contains { $0.first == UInt8(ascii: "{") }
      let hint = looksLikeJSONLines ? " (read as plain text because the input does not start with '{'; for JSON lines give --input-format jsonl)" : ""
      throw InputFailure(message: "\(failure)\(hint)")
    }
    let result = try makeHandler().answer(request)
    let sink = try options.openSink(input: reader)
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

/// An input that holds no request that can be read: an empty one, or a plain-text request that
/// cannot be parsed (exit status 1, like a failed record).
struct InputFailure: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}
