import ArgumentParser
import SSAKit

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List a GGUF file's metadata and tensors (like llama.cpp's gguf-dump).")

  @Argument(help: "GGUF file (default: the default model, fetched on first use).")
  var file: String?

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  @Option(parsing: .unconditional, help: "Show at most this many elements of each array value.")
  var arrayLimit = 8

  func validate() throws {
    guard arrayLimit >= 0 else { throw ValidationError("--array-limit must be 0 or more") }
  }

  func run() throws {
    let path = try file.map { try ModelOption.checked($0, source: nil) } ?? ModelStore.ensureDefaultModel()
    let gguf = try GGUFFile(path: path)
    if json {
      print(gguf.json(arrayLimit: arrayLimit).serialized)
    } else {
      print(gguf.dump(arrayLimit: arrayLimit), terminator: "")
    }
  }
}
