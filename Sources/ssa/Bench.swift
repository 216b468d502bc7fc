import ArgumentParser
import CKernels
import Foundation
import SSAKit

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure prompt processing and generation speed (like llama-bench), and peak memory.",
    discussion: """
      Prints a table in llama-bench's shape; --json prints one JSON array of records with llama-bench's \
      -o json field names (n_prompt, n_gen, n_threads, avg_ts, stddev_ts, ...).
      """)

  @OptionGroup var modelOption: ModelOption

  @Option(name: .short, parsing: .unconditional, help: "Prompt lengths to test, comma-separated (0 or empty for none).")
  var p = "512"

  @Option(name: .short, parsing: .unconditional, help: "Generation lengths to test, comma-separated (0 or empty for none).")
  var n = "128"

  @OptionGroup var threadsOption: ThreadsOption

  @Option(parsing: .unconditional, help: "Also decode this many sequences at once through the batched engine, comma-separated (e.g. 1,4,8,16): the aggregate tokens/s of each -n.")
  var parallel = ""

  @Option(name: .short, parsing: .unconditional, help: "Timed repetitions of each test.")
  var r = 5

  @Option(help: "Weights: native (kernel types used in place, others requantized to Q8_0) or f32.")
  var weights = "native"

  @Flag(help: "Print one JSON array of records instead of the table.")
  var json = false

  func lengths(_ s: String, _ flag: String) throws -> [Int] {
    try s.split(separator: ",").compactMap { part in
      guard let v = Int(part.trimmingCharacters(in: .whitespaces)), v >= 0 else {
        throw ValidationError("-\(flag) takes non-negative integers separated by commas, got \"\(s)\"")
      }
      return v == 0 ? nil : v
    }
  }

  func validate() throws {
    _ = try lengths(p, "p")
    _ = try lengths(n, "n")
    _ = try lengths(parallel, "-parallel")
    guard r >= 1 else { throw ValidationError("-r must be at least 1") }
    guard WeightPrecision(rawValue: weights) != nil else { throw ValidationError("--weights is native or f32") }
  }

  func run() throws {
    let path = try modelOption.resolve()
    threadsOption.apply()
    let threads = Int(ssa_get_threads())
    let model = try Qwen2Model(path: path, precision: WeightPrecision(rawValue: weights)!)
    var records: [BenchmarkRecord] = []
    if !json {
      print("| model | size | params | isa | threads | test | t/s |")
      print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    }
    let tests = try lengths(p, "p").map { ($0, 0) } + lengths(n, "n").map { (0, $0) }
    for (np, ng) in tests {
      let record = try Benchmark.run(model: model, nPrompt: np, nGen: ng, repetitions: r, threads: threads)
      records.append(record)
      if !json {
        print("| \(record.modelType) | \(String(format: "%.2f MiB", Double(record.modelBytes) / 1_048_576)) | "
          + "\(String(format: "%.2f M", Double(record.parameters) / 1e6)) | \(record.isa) | \(threads) | "
          + "\(record.test) | \(String(format: "%.2f ± %.2f", record.averageTokensPerSecond, record.stddevTokensPerSecond)) |")
      }
    }
    let batches = try lengths(parallel, "-parallel")
    if !batches.isEmpty {
      let tokenizer = try Tokenizer(gguf: model.file)
      for ng in try lengths(n, "n") {
        for np in batches {
          let record = try Benchmark.runBatched(model: model, tokenizer: tokenizer, nGen: ng, parallel: np, repetitions: r,
                                                threads: threads)
          records.append(record)
          if !json {
            print("| \(record.modelType) | \(String(format: "%.2f MiB", Double(record.modelBytes) / 1_048_576)) | "
              + "\(String(format: "%.2f M", Double(record.parameters) / 1e6)) | \(record.isa) | \(threads) | "
              + "\(record.test) | \(String(format: "%.2f ± %.2f", record.averageTokensPerSecond, record.stddevTokensPerSecond)) |")
          }
        }
      }
    }
    let peak = ResourceUsage.peakResidentBytes ?? 0
    if json {
      print(JSON.array(records.map(\.json)).serialized)
    } else {
      print("\npeak RSS \(String(format: "%.1f MiB", Double(peak) / 1_048_576))")
    }
  }
}
