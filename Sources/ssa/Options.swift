import ArgumentParser
import CKernels
import Foundation
import SSAKit

/// `--model`: a GGUF file; without it, the default model (fetched on first use).
struct ModelOption: ParsableArguments {
  @Option(name: .shortAndLong, help: "GGUF model file (default: $SSA_MODEL, else the default model, fetched on first use).")
  var model: String?

  func resolve() throws -> String {
    if let model { return try Self.checked(model, source: "--model") }
    if let env = ProcessInfo.processInfo.environment["SSA_MODEL"], !env.isEmpty {
      return try Self.checked(env, source: "$SSA_MODEL")
    }
    return try ModelStore.ensureDefaultModel()
  }

  /// A model path named by the user must be a readable regular file: otherwise a usage error that
  /// says which setting named it.
  static func checked(_ path: String, source: String?) throws -> String {
    let named = source.map { "\(path) (\($0))" } ?? path
    var st = stat()
    guard stat(path, &st) == 0 else {
      throw CommandLineError("cannot open \(named): \(String(cString: strerror(errno)))")
    }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw CommandLineError("\(named) is a directory, not a model file") }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
      throw CommandLineError("\(named) is not a regular file (a model file is mapped into memory)")
    }
    guard access(path, R_OK) == 0 else {
      throw CommandLineError("cannot open \(named): \(String(cString: strerror(errno)))")
    }
    return path
  }
}

/// `--threads N` / `-t N`: the kernels' thread count (default: all cores). The bound keeps a typo from
/// asking the OpenMP runtime for more threads than a machine can start, which it cannot survive.
struct ThreadsOption: ParsableArguments {
  static let limit = 1024

  @Option(name: [.short, .long], parsing: .unconditional, help: "Threads for the model (default: all cores; at most 1024).")
  var threads: Int?

  func validate() throws {
    if let threads, !(1...Self.limit).contains(threads) {
      throw ValidationError("--threads must be between 1 and \(Self.limit), got \(threads)")
    }
  }

  /// Sets the kernels' thread count when one was given.
  func apply() {
    if let threads { ssa_set_threads(Int32(threads)) }
  }
}

/// Upper bound of `--max-tokens`: far beyond any context, small enough that prompt + limit never overflows.
let maxTokensLimit = 1 << 20

/// `--parallel N` and `--max-memory SIZE`: requests in flight on the batched engine, and the KV-cache
/// budget they share.
struct ParallelOptions: ParsableArguments {
  static let defaultParallel = 8

  @Option(parsing: .unconditional, help: ArgumentHelp(
    "Requests in flight, run together by the batched engine (default: \(ParallelOptions.defaultParallel); fewer run at once when --max-memory cannot hold their KV caches; 1 runs them one at a time).",
    valueName: "n"))
  var parallel: Int?

  @Option(help: ArgumentHelp(
    "Memory for the KV caches of the requests in flight, e.g. 2G or 512M (default: a quarter of this machine's memory). Each takes about 12 KB per token of its prompt and token limit with the default model.",
    valueName: "size"))
  var maxMemory: String?

  func validate() throws {
    if let parallel, !(1...256).contains(parallel) { throw ValidationError("--parallel must be between 1 and 256, got \(parallel)") }
    if let maxMemory, ParallelOptions.bytes(maxMemory) == nil {
      throw ValidationError("--max-memory takes a size such as 2G, 512M or 1048576 bytes, got '\(maxMemory)'")
    }
  }

  var requests: Int { parallel ?? ParallelOptions.defaultParallel }
  var budget: Int { maxMemory.flatMap(ParallelOptions.bytes) ?? BatchEngine.defaultMemoryBudget }

  /// "2G", "512M", "64K" or a number of bytes; nil when it is none of these or not positive.
  static func bytes(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: .whitespaces).uppercased()
    let units: [(String, Double)] = [("GB", 1_073_741_824), ("G", 1_073_741_824), ("MB", 1_048_576), ("M", 1_048_576), ("KB", 1024), ("K", 1024), ("B", 1)]
    for (suffix, scale) in units where t.hasSuffix(suffix) {
      guard let v = Double(t.dropLast(suffix.count)), v > 0, v * scale < 1e18 else { return nil }
      return Int(v * scale)
    }
    guard let v = Int(t), v > 0 else { return nil }
    return v
  }
}
