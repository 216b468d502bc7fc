import CKernels
import Foundation

/// Prompt-processing and generation speed measured the way llama-bench measures it, so the two can be
/// compared side by side: `pp N` runs a prompt of N random tokens from an empty cache (logits of the
/// last position only); `tg N` decodes N tokens one at a time from an empty cache. One warm-up run,
/// then `repetitions` timed runs.
public struct BenchmarkRecord: Sendable {
  public var model: String
  public var modelType: String
  public var modelBytes: Int
  public var parameters: Int
  public var threads: Int
  public var isa: String
  public var nPrompt: Int
  public var nGen: Int
  /// Sequences decoding at once through the batched engine (1: one sequence, as llama-bench).
  public var parallel = 1
  public var samplesNanoseconds: [UInt64]

  public var tokens: Int { (nPrompt + nGen) * parallel }
  public var samplesTokensPerSecond: [Double] { samplesNanoseconds.map { Double(tokens) / (Double($0) / 1e9) } }
  public var averageTokensPerSecond: Double { mean(samplesTokensPerSecond) }
  public var stddevTokensPerSecond: Double { stddev(samplesTokensPerSecond) }
  public var test: String { nPrompt > 0 ? "pp\(nPrompt)" : parallel > 1 ? "tg\(nGen) x \(parallel)" : "tg\(nGen)" }

  /// A record with llama-bench's `-o json` field names.
  public var json: JSON {
    let ns = samplesNanoseconds.map { Double($0) }  // (map(Double.init) would take init(bitPattern:))
    return .object([
      ("model_filename", .string(model)), ("model_type", .string(modelType)), ("model_size", .int(modelBytes)),
      ("model_n_params", .int(parameters)), ("n_threads", .int(threads)), ("cpu_info", .string(isa)),
      ("n_prompt", .int(nPrompt)), ("n_gen", .int(nGen)), ("n_parallel", .int(parallel)),
      ("avg_ns", .int(Int(mean(ns)))), ("stddev_ns", .int(Int(stddev(ns)))),
      ("avg_ts", .double(averageTokensPerSecond)), ("stddev_ts", .double(stddevTokensPerSecond)),
      ("samples_ns", .array(samplesNanoseconds.map { .int(Int($0)) })),
      ("samples_ts", .array(samplesTokensPerSecond.map { .double($0) })),
    ])
  }
}

public enum Benchmark {
  /// Run one test (`nPrompt` > 0 for prompt processing, else `nGen` > 0 for generation).
  public static func run(model: Qwen2Model, nPrompt: Int, nGen: Int, repetitions: Int, threads: Int,
                         seed: UInt64 = 1) throws -> BenchmarkRecord {
    let capacity = max(nPrompt + nGen, 1)
    let session = try Session(model: model, capacity: capacity, chunk: min(512, max(1, nPrompt)))
    var rng = RandomGenerator(seed: seed)
    let vocab = model.config.vocabularySize
    func once() throws -> UInt64 {
      session.rewind(to: 0)
      let tokens = (0..<max(nPrompt, 1)).map { _ in Int(rng.next() % UInt64(vocab)) }
      let start = DispatchTime.now().uptimeNanoseconds
      if nPrompt > 0 {
        try session.forward(tokens, logits: .last)
      } else {
        var token = tokens[0]
        for _ in 0..<nGen {
          try session.forward([token], logits: .last)
          token = Int(rng.next() % UInt64(vocab))
        }
      }
      return DispatchTime.now().uptimeNanoseconds - start
    }
    _ = try once()  // warm-up: page in the weights, settle the threads
    var samples: [UInt64] = []
    for _ in 0..<repetitions { samples.append(try once()) }
    return BenchmarkRecord(
      model: URL(fileURLWithPath: model.file.path).lastPathComponent, modelType: modelTypeName(model),
      modelBytes: model.file.fileSize, parameters: model.file.parameterCount, threads: threads,
      isa: String(cString: ssa_kernel_isa()), nPrompt: nPrompt, nGen: nGen, samplesNanoseconds: samples)
  }

  /// Aggregate decode speed of `parallel` sequences through the batched engine: each starts from one
  /// random token and generates `nGen` tokens (no stop), all at once; tokens/s is all the sequences'
  /// tokens over the wall time. One warm-up run, then `repetitions` timed runs.
  public static func runBatched(model: Qwen2Model, tokenizer: Tokenizer, nGen: Int, parallel: Int, repetitions: Int,
                                threads: Int, seed: UInt64 = 1) throws -> BenchmarkRecord {
    let engine = BatchEngine(model: model, tokenizer: tokenizer, configuration: .init(
      maxSequences: parallel, retainedPrefixes: 0))
    defer { engine.shutdown() }
    var rng = RandomGenerator(seed: seed)
    let vocab = model.config.vocabularySize
    let settings = GenerationSettings(maxTokens: nGen, stopSequences: [], stopTokens: [])
    func once() throws -> UInt64 {
      let prompts = (0..<parallel).map { _ in [Int(rng.next() % UInt64(vocab))] }
      let start = DispatchTime.now().uptimeNanoseconds
      let failures = FailureBox()
      DispatchQueue.concurrentPerform(iterations: parallel) { i in
        do { _ = try engine.generate(prompt: prompts[i], settings: settings) } catch { failures.set(error) }
      }
      if let error = failures.error { throw error }
      return DispatchTime.now().uptimeNanoseconds - start
    }
    _ = try once()
    var samples: [UInt64] = []
    for _ in 0..<repetitions { samples.append(try once()) }
    var record = BenchmarkRecord(
      model: URL(fileURLWithPath: model.file.path).lastPathComponent, modelType: modelTypeName(model),
      modelBytes: model.file.fileSize, parameters: model.file.parameterCount, threads: threads,
      isa: String(cString: ssa_kernel_isa()), nPrompt: 0, nGen: nGen, samplesNanoseconds: samples)
    record.parallel = parallel
    return record
  }

  /// "qwen2 0.5B Q8_0": the matrix type that holds most of the weights.
  static func modelTypeName(_ model: Qwen2Model) -> String {
    var bytes: [GGMLType: Int] = [:]
    for t in model.file.tensors { bytes[t.type, default: 0] += t.byteCount }
    let main = bytes.max { $0.value < $1.value }?.key.name ?? "?"
    let size = model.file["general.size_label"]?.string ?? String(format: "%.1fB", Double(model.file.parameterCount) / 1e9)
    return "\(model.config.architecture) \(size) \(main)"
  }
}

func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

func stddev(_ xs: [Double]) -> Double {
  guard xs.count > 1 else { return 0 }
  let m = mean(xs)
  return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
}

/// The first error of concurrent work.
final class FailureBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var error: Error?

  func set(_ e: Error) {
    lock.lock()
    if error == nil { error = e }
    lock.unlock()
  }
}
