import ArgumentParser
import SSAKit

/// Input and output of the record-streaming commands (`vote`, `aggregate`).
struct StreamOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: "Input: JSON lines, or one plain-text request (the question, then samples separated by lines holding only ---); '-' is stdin.")
  var input = "-"

  @Option(name: .shortAndLong, help: "Where the records go; '-' is stdout.")
  var output = "-"

  @Flag(help: "Plain-text input: print the whole record as JSON instead of just the answer.")
  var json = false

  @Flag(name: .shortAndLong, help: "No progress on stderr.")
  var quiet = false

  @Option(help: "Longest input line read, in bytes; a longer line becomes an error record (and is skipped in constant memory).")
  var maxLineBytes = 64 << 20

  func validate() throws {
    guard maxLineBytes >= 1 else { throw ValidationError("--max-line-bytes must be 1 or more") }
  }

  func openReader() throws -> LineReader {
    if input == "-" { return LineReader(fileDescriptor: 0, maxLineBytes: maxLineBytes) }
    do {
      return try LineReader(path: input, maxLineBytes: maxLineBytes)
    } catch {
      throw CommandLineError("\(error)")
    }
  }

  func openSink() throws -> OutputSink {
    if output == "-" { return OutputSink(fileDescriptor: 1) }
    do {
      return try OutputSink(path: output)
    } catch {
      throw CommandLineError("\(error)")
    }
  }
}
