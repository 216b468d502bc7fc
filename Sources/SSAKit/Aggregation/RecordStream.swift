/// The request/response loop of `ssa aggregate`, `ssa vote` and `ssa eval`: JSON lines in, one record
/// out per input line, in input order, written (and so flushed) as soon as it is ready.
///
/// A line that is not a valid request becomes an error record and the run goes on. The loop ends at
/// the end of input, at the first SIGINT (between records, after writing the finished one), or when
/// the reader of the output has gone (EPIPE).
public final class RecordStream {
  public struct Summary: Equatable, Sendable {
    /// Input lines handled.
    public var records = 0
    /// Of those, the ones that produced an error record.
    public var failed = 0
    public var interrupted = false
    public var outputClosed = false
  }

  private let reader: LineReader
  private let sink: OutputSink?
  private let progress: ProgressMeter?

  public init(reader: LineReader, sink: OutputSink?, progress: ProgressMeter?) {
    self.reader = reader
    self.sink = sink
    self.progress = progress
  }

  /// Runs `handle` on every request; its record (nil writes nothing) goes to the sink. A thrown error
  /// becomes the request's error record. `done` is asked before each line: true ends the run there.
  public func run(until done: () -> Bool = { false }, _ handle: (AggregationRequest) throws -> JSON?) throws -> Summary {
    var summary = Summary()
    reader.shouldStop = { SignalHandling.interrupted }
    while !SignalHandling.interrupted, !done(), let line = try reader.next() {
      let number = reader.lineNumber
      let record: JSON?
      do {
        let request: AggregationRequest
        switch line {
        case .tooLong(let bytes):
          throw RequestFailure(id: .null, error: .lineTooLong(bytes: bytes, limit: reader.maxLineBytes))
        case .bytes(let bytes):
          request = try AggregationRequest.parse(line: bytes)
        }
        do {
          record = try handle(request)
        } catch {
          summary.failed += 1
          record = AggregationResult.errorRecord(id: request.id, line: number, error: "\(error)")
        }
      } catch let failure as RequestFailure {
        summary.failed += 1
        record = AggregationResult.errorRecord(id: failure.id, line: number, error: failure.description)
      }
      summary.records += 1
      if let record, let sink, try !sink.writeLine(record.serialized) {
        summary.outputClosed = true
        break
      }
      progress?.update(records: summary.records, bytes: reader.bytesConsumed)
    }
    summary.interrupted = SignalHandling.interrupted
    progress?.finish(records: summary.records, bytes: reader.bytesConsumed)
    return summary
  }
}
