import ArgumentParser
import SSAKit

/// How the input of `vote` and `aggregate` is read.
enum InputFormat: String, CaseIterable, ExpressibleByArgument {
  /// JSON lines when the first byte that is not blank space is `{`, else one plain-text request.
  case auto
  case jsonl
  case text
}

/// Input and output of the record-streaming commands (`vote`, `aggregate`).
struct StreamOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: "Input: JSON lines, or one plain-text request (the question, then samples separated by lines holding only ---); '-' is stdin.")
  var input = "-"

  @Option(help: "Input format: auto (JSON lines when the input starts with '{', else plain text), jsonl or text.")
  var inputFormat: InputFormat = .auto

  @Option(name: .shortAndLong, help: "Where the records go; '-' is stdout. Never the input file.")
  var output = "-"

  @Flag(help: "Plain-text input: print the whole record as JSON instead of just the answer.")
  var json = false

  @Flag(name: .shortAndLong, help: "No progress on stderr.")
  var quiet = false

  @Option(parsing: .unconditional, help: "Longest input line (JSON lines) or plain-text request read, in bytes; a longer JSON line becomes an error record (and is skipped in constant memory).")
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

  /// A usage error when the output would overwrite the input being read (checked before any work).
  func checkSink(input reader: LineReader) throws {
    guard let identity = reader.fileIdentity else { return }
    if output == "-" {
      if LineReader.FileIdentity(fileDescriptor: 1) == identity {
        throw CommandLineError("standard output is the input file: writing it would destroy the input")
      }
    } else if LineReader.FileIdentity(path: output) == identity {
      throw CommandLineError("\(OutputSink.Failure.sameAsInput(path: output))")
    }
  }

  /// The output; a usage error when it would overwrite the input being read.
  func openSink(input reader: LineReader) throws -> OutputSink {
    try checkSink(input: reader)
    if output == "-" { return OutputSink(fileDescriptor: 1) }
    do {
      return try OutputSink(path: output, notOverwriting: reader.fileIdentity)
    } catch {
      throw CommandLineError("\(error)")
    }
  }
}
