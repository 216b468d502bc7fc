import Foundation

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

  /// The request a line holds; a line too long or not a request throws `RequestFailure`.
  private func parse(_ line: LineReader.Line) throws -> AggregationRequest {
    switch line {
    case .tooLong(let bytes):
      throw RequestFailure(id: .null, error: .lineTooLong(bytes: bytes, limit: reader.maxLineBytes))
    case .bytes(let bytes):
      return try AggregationRequest.parse(line: bytes)
    }
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
        let request = try parse(line)
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

  /// The same loop with `parallel` requests in flight: `work` runs on worker threads (it may block on
  /// a batched engine, which then runs the requests together), `record` turns each result into its
  /// output record on the calling thread, in input order, so records come out as they would one at a
  /// time (a record that finishes early waits for the ones before it). A bad line's error record takes
  /// its place in the order. At a SIGINT or a closed output no more lines are read, `stop` is called
  /// (to cancel the requests in flight, which then give error records), and the run ends once every
  /// request in flight has finished.
  public func run<Result>(parallel: Int, until done: () -> Bool = { false },
                          accept: (AggregationRequest) -> Bool = { _ in true },
                          work: @escaping @Sendable (AggregationRequest, Int) throws -> Result,
                          record: (AggregationRequest, Result) -> JSON?,
                          stop: () -> Void = {}) throws -> Summary {
    // a request's index is its line's (0-based), whatever else is read around it
    if parallel <= 1 {
      var accepted = true
      return try run(until: { !accepted || done() }) { request in
        let index = reader.lineNumber - 1
        guard accept(request) else {
          accepted = false
          return nil
        }
        return record(request, try work(request, index))
      }
    }
    typealias Slot = RecordSlot<Result>
    let pool = WorkerPool<Slot>(threads: parallel)
    var summary = Summary()
    var next = 0     // index of the next record to write
    var read = 0     // lines read
    var results: [Int: Slot] = [:]
    reader.shouldStop = { SignalHandling.interrupted }

    /// Writes the finished records that are next in order.
    func flushReady() throws {
      while let slot = results.removeValue(forKey: next) {
        next += 1
        summary.records += 1
        let json: JSON?
        switch slot {
        case .failed(let error):
          summary.failed += 1
          json = error
        case .done(let request, let result):
          json = record(request, result)
        }
        if let json, let sink, !summary.outputClosed, try !sink.writeLine(json.serialized) {
          summary.outputClosed = true
        }
        progress?.update(records: summary.records, bytes: reader.bytesConsumed)
      }
    }

    while !SignalHandling.interrupted, !summary.outputClosed, !done() {
      guard let line = try reader.next() else { break }
      let number = reader.lineNumber
      let index = number - 1
      let slot = read
      read += 1
      do {
        let request = try parse(line)
        guard accept(request) else {
          read -= 1
          break
        }
        pool.submit(slot) {
          do {
            return .done(request, try work(request, index))
          } catch {
            return .failed(AggregationResult.errorRecord(id: request.id, line: number, error: "\(error)"))
          }
        }
      } catch let failure as RequestFailure {
        results[slot] = .failed(AggregationResult.errorRecord(id: failure.id, line: number, error: failure.description))
      }
      // keep at most `parallel` requests in flight, writing what is ready
      while pool.inFlight >= parallel {
        for (i, slot) in pool.waitForResults() { results[i] = slot }
      }
      for (i, slot) in pool.takeResults() { results[i] = slot }
      try flushReady()
    }
    if SignalHandling.interrupted || summary.outputClosed { stop() }
    while next < read {
      try flushReady()
      if next < read { for (i, slot) in pool.waitForResults() { results[i] = slot } }
    }
    pool.shutdown()
    summary.interrupted = SignalHandling.interrupted
    progress?.finish(records: summary.records, bytes: reader.bytesConsumed)
    return summary
  }
}

/// A record of the parallel loop: a bad line's or a failed request's record, or a request's result.
enum RecordSlot<Result> {
  case failed(JSON)
  case done(AggregationRequest, Result)
}
