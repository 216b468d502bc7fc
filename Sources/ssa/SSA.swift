import ArgumentParser
import CKernels
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
      Calibrate.self,
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
    // Swift replaces bytes that are not UTF-8 in the arguments with U+FFFD: a path or a prompt would
    // silently become another one, so such an argument is refused.
    if let bad = firstNonUTF8Argument() {
      Diagnostics.writeStderr("ssa: argument \(bad) is not valid UTF-8\n")
      exit(2)
    }
    if let refusal = checkISARequest() {
      Diagnostics.writeStderr("ssa: \(refusal)\n")
      exit(2)
    }
    let code = run(Array(CommandLine.arguments.dropFirst()))
    exit(code)
  }

  /// SSA_ISA, as the kernels read it at start-up: a name that is no kernel set is refused (a typo
  /// would otherwise measure the wrong kernels); a set this CPU lacks is reported with the one in use.
  static func checkISARequest() -> String? {
    let value = ProcessInfo.processInfo.environment["SSA_ISA"] ?? ""
    switch Int(ssa_isa_request()) {
    case SSA_ISA_REQUEST_UNKNOWN:
      return "SSA_ISA=\(value) is not a kernel set (scalar, avx2, avx512vnni, amx, neon)"
    case SSA_ISA_REQUEST_CAPPED:
      Diagnostics.writeStderr("ssa: SSA_ISA=\(value): this CPU cannot run those kernels; using \(String(cString: ssa_kernel_isa()))\n")
      return nil
    default:
      return nil
    }
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
    } catch where SignalHandling.interrupted {
      // whatever a Ctrl-C stopped (a conversion on first use, a download) ends as an interruption
      Diagnostics.writeStderr("ssa: interrupted: \(oneLine("\(error)"))\n")
      return 130
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

  /// The 1-based position of the first argument (after the program name) that is not UTF-8.
  private static func firstNonUTF8Argument() -> Int? {
    for i in 1..<Int(CommandLine.argc) {
      guard let p = CommandLine.unsafeArgv[i] else { continue }
      let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))
      if UTF8Validation.firstInvalidOffset(Array(bytes)) != nil { return i }
    }
    return nil
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

  /// A whole text file (or pipe, or device), as UTF-8; a usage error naming the file and the reason
  /// otherwise.
  static func readText(_ path: String) throws -> String {
    let bytes: [UInt8]
    do {
      bytes = try LineReader(path: path).readAll()
    } catch {
      throw CommandLineError("\(error)")
    }
    if let bad = UTF8Validation.firstInvalidOffset(bytes) {
      throw CommandLineError("\(path) is not valid UTF-8 (byte \(bad))")
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
