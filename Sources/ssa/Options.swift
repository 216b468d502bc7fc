import ArgumentParser
import Foundation
import SSAKit

/// `--model`: a GGUF file; without it, the default model (fetched on first use).
struct ModelOption: ParsableArguments {
  @Option(name: .shortAndLong, help: "GGUF model file (default: $SSA_MODEL, else the default model, fetched on first use).")
  var model: String?

  func resolve() throws -> String {
    if let model { return model }
    if let env = ProcessInfo.processInfo.environment["SSA_MODEL"], !env.isEmpty { return env }
    return try ModelStore.ensureDefaultModel()
  }
}
