import ArgumentParser
import Foundation
import SSAKit

/// The `ssa` command: a Sample Set Aggregator on the CPU.
struct SSA: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ssa",
    abstract: "Aggregate sampled solutions into one answer with a small language model, on the CPU.",
    subcommands: [
      Aggregate.self,
      Vote.self,
      Eval.self,
      Generate.self,
      Tokenize.self,
      Convert.self,
      Inspect.self,
      Fetch.self,
      PerplexityCommand.self,
      Bench.self,
      BenchKernels.self,
    ])
}

/// Runs the command and turns every failure into one line on stderr and a non-zero exit status:
/// 2 for usage errors, 1 for everything else. Help and version requests print in full and exit 0.
@main
enum Main {
  static func main() {
    // A closed stdout (`ssa ... | head`) must end the output quietly, not kill the process.
    signal(SIGPIPE, SIG_IGN)
    let code = run(Array(CommandLine.arguments.dropFirst()))
    exit(code)
  }

  static func run(_ arguments: [String]) -> Int32 {
    do {
      var command = try SSA.parseAsRoot(arguments)
      try command.run()
      return 0
    } catch let exit as ExitCode {
      return exit.rawValue
    } catch let error as CleanExit {
      print(SSA.fullMessage(for: error))
      return 0
    } catch let error as CommandLineError {
      Diagnostics.writeStderr("ssa: \(error.message)\n")
      return 2
    } catch {
      let code = SSA.exitCode(for: error)
      if code == .success {
        print(SSA.fullMessage(for: error))
        return 0
      }
      let message = SSA.message(for: error)
      let line = message.split(separator: "\n").first.map(String.init) ?? "\(error)"
      let isUsage = code == .validationFailure || error is ValidationError
      Diagnostics.writeStderr("ssa: \(oneLine(isUsage ? line : "\(error)"))\n")
      return isUsage ? 2 : 1
    }
  }

  private static func oneLine(_ s: String) -> String {
    let trimmed = s.hasPrefix("Error: ") ? String(s.dropFirst(7)) : s
    return trimmed.replacingOccurrences(of: "\n", with: " ")
  }
}

/// A bad argument found while running (a file that cannot be opened, an empty prompt): a usage error.
struct CommandLineError: Error {
  let message: String
  init(_ message: String) { self.message = message }

  /// A whole text file, as UTF-8; a usage error naming the file otherwise.
  static func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandLineError("cannot read \(path)") }
    guard let text = String(data: data, encoding: .utf8) else { throw CommandLineError("\(path) is not valid UTF-8") }
    return text
  }
}
