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
