import ArgumentParser
import Foundation
import SSAKit

struct Calibrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fit the calibrated method's weights (and its hidden-state probe) on labeled sample sets.",
    discussion: """
      For each labeled record that is not unanimous, the model scores every distinct answer of its samples \
      in each rotation of the samples (as --method debiased does) and keeps its hidden state at the answer. \
      A linear probe on those states and a conditional logit over each record's candidates (votes, debiased \
      log-probability, probe) are then fitted, and their accuracy reported by cross-validation over records \
      (never on the records a fit saw). With -o the model file is copied with the weights in its \
      ssa.calibration.* metadata; --method calibrated then uses them. --features keeps the model's evidence \
      so that --from-features can fit again without running the model.
      """)

  @OptionGroup var model: ModelOption
  @OptionGroup var threads: ThreadsOption

  @Option(name: .shortAndLong, help: "Labeled JSON lines (with 'gold' answers) to fit on.")
  var input: String?

  @Option(name: .shortAndLong, help: "Write the model file with the calibration in its metadata here.")
  var output: String?

  @Option(help: "Save the model's evidence on each record (JSON lines) here as it is computed.")
  var features: String?

  @Option(parsing: .upToNextOption, help: "Fit on evidence saved with --features instead of running the model.")
  var fromFeatures: [String] = []

  @Option(parsing: .upToNextOption, help: "Also apply the fit to this held-out evidence (saved with --features from other records) and report each method on it.")
  var testFeatures: [String] = []

  @Option(help: "Layers whose hidden states are kept (comma-separated, 0-based; the fit picks the best by cross-validation).")
  var layers: String = "\(Calibrate.defaultLayer)"

  @Option(help: "Prompt format (default: the one recorded in the model file, else 'answer').")
  var promptFormat: PromptFormat?

  @OptionGroup var reading: EvidenceOptions

  @Option(parsing: .unconditional, help: "Use the first N samples of each record (default: all).")
  var k: Int?

  @Option(parsing: .unconditional, help: "Use the first N labeled records.")
  var limit: Int?

  @Option(parsing: .unconditional, help: "Folds of the cross-validation (records are split, never candidates).")
  var folds = 5

  @Option(parsing: .unconditional, help: "Seed of the fold assignment.")
  var seed: UInt64 = 0

  @Flag(help: "Print the report as one JSON object.")
  var json = false

  @Flag(name: .shortAndLong, help: "No progress on stderr.")
  var quiet = false

  static let defaultLayer = 23

  var layerList: [Int] { layers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

  func validate() throws {
    if input == nil && fromFeatures.isEmpty { throw ValidationError("give --input (labeled records) or --from-features") }
    if input != nil && !fromFeatures.isEmpty { throw ValidationError("--input and --from-features exclude each other") }
    let parts = layers.split(separator: ",")
    guard !parts.isEmpty, parts.count == layerList.count, layerList.allSatisfy({ $0 >= 0 }) else {
      throw ValidationError("--layers must be comma-separated layer numbers (0-based), got '\(layers)'")
    }
    if let k, k < 1 { throw ValidationError("--k must be 1 or more") }
    if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    guard (2...100).contains(folds) else { throw ValidationError("--folds must be between 2 and 100") }
  }

  func run() throws {
    SignalHandling.install()
    Diagnostics.quiet = quiet
    var records: [LabeledEvidence]
    if input != nil {
      records = try collect()
    } else {
      records = []
      for path in fromFeatures { records += try Calibrate.load(path) }
      if let limit { records = Array(records.prefix(limit)) }
    }
    if SignalHandling.interrupted { throw ExitCode(130) }
    guard !records.isEmpty else { throw InputFailure(message: "no labeled record to fit on") }
    let report = try CalibrationFitter(records: records, folds: folds, seed: seed).fit()
    var heldOut: HeldOutReport?
    if !testFeatures.isEmpty {
      var test: [LabeledEvidence] = []
      for path in testFeatures { test += try Calibrate.load(path) }
      let trainIDs = Set(records.map { $0.id.serialized + "\u{1}" + $0.gold })
      if let shared = test.first(where: { trainIDs.contains($0.id.serialized + "\u{1}" + $0.gold) }) {
        throw CommandLineError("record \(shared.id.serialized) is in both the fitted and the held-out evidence")
      }
      heldOut = HeldOutReport(calibration: report.calibration, probe: report.probe, layers: report.layers, test: test)
    }
    if json {
      var out = report.json
      if let heldOut, case .object(var fields) = out {
        fields.append(("held_out_test", heldOut.json))
        out = .object(fields)
      }
      print(out.serialized)
    } else {
      print(report.table)
      if let heldOut { print("\n" + heldOut.table) }
    }
    if let output {
      let source = try model.resolve()
      try CalibratedModelWriter.write(source: source, output: output, calibration: report.calibration)
      Diagnostics.note("ssa: wrote \(output) with the calibration")
    }
  }

  /// Runs the model on each labeled, non-unanimous record and keeps its evidence.
  func collect() throws -> [LabeledEvidence] {
    guard let input else { return [] }
    let reader: LineReader
    let sink: OutputSink?
    do {
      reader = try LineReader(path: input)
      sink = try features.map { try OutputSink(path: $0, notOverwriting: reader.fileIdentity) }
    } catch {
      throw CommandLineError("\(error)")
    }
    let engine = try makeEngine(model: model, threads: threads)
    let options = AggregationOptions(format: promptFormat ?? engine.recordedPromptFormat ?? .answer, k: k,
                                     method: .debiased, rotations: reading.rotations, evidence: reading.evidence)
    let aggregator = Aggregator(engine: engine, options: options)
    var records: [LabeledEvidence] = []
    var labeled = 0
    let stream = RecordStream(reader: reader, sink: nil, progress: quiet ? nil : ProgressMeter(totalBytes: reader.totalBytes))
    let clock = ContinuousClock()
    let summary = try stream.run(until: { limit.map { labeled >= $0 } ?? false }) { request in
      guard let gold = request.gold else { return nil }
      labeled += 1
      let samples = k.map { Array(request.samples.prefix($0)) } ?? request.samples
      let vote = MajorityVote(samples: samples)
      guard vote.candidates.count > 1 else { return nil }
      let start = clock.now
      let evidence = try aggregator.evidence(question: request.question, samples: samples, vote: vote, layers: layerList)
      let record = LabeledEvidence(id: request.id, gold: gold, evidence: evidence, layers: layerList,
                                   seconds: Aggregator.seconds(clock.now - start))
      records.append(record)
      try sink?.writeLine(record.json.serialized)
      return nil
    }
    if summary.failed > 0 { Diagnostics.note("ssa: \(summary.failed) records failed and were left out") }
    return records
  }

  static func load(_ path: String) throws -> [LabeledEvidence] {
    let reader: LineReader
    do { reader = try LineReader(path: path) } catch { throw CommandLineError("\(error)") }
    var out: [LabeledEvidence] = []
    while let line = try reader.next() {
      guard case .bytes(let bytes) = line, !bytes.isEmpty else { continue }
      guard let json = try? JSON.parse(bytes), let record = LabeledEvidence(json: json) else {
        throw InputFailure(message: "\(path) line \(reader.lineNumber): not a record written by --features")
      }
      out.append(record)
    }
    return out
  }
}
