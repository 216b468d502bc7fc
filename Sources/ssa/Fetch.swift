import ArgumentParser
import SSAKit

struct Fetch: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Download, verify and install the default model (a no-op when it is already there).",
    discussion: "Models live in $SSA_MODELS, else in the package's models/ folder. Prints the model's path.")

  func run() throws {
    print(try ModelStore.ensureDefaultModel())
  }
}
