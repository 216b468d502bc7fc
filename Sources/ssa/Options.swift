import ArgumentParser
import SSAKit

/// `--model`: a GGUF file; without it, the default model (fetched on first use).
struct ModelOption: ParsableArguments {
  @Option(name: .shortAndLong, help: "GGUF model file (default: the default model, fetched on first use).")
  var model: String?

  func resolve() throws -> String {
    if let model { return model }
    return try ModelStore.ensureDefaultModel()
  }
}
