#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress and diagnostics go to stderr, never stdout (stdout carries answers and may be a pipe).
public enum Diagnostics {
  nonisolated(unsafe) public static var quiet = false

  public static func note(_ message: String) {
    guard !quiet else { return }
    writeStderr(message + "\n")
  }

  /// A progress line that overwrites itself on a terminal and prints whole lines otherwise.
  public static func progress(_ message: String, final: Bool = false) {
    guard !quiet else { return }
    if isatty(2) != 0 {
      writeStderr("\r\u{1B}[K" + message + (final ? "\n" : ""))
    } else if final {
      writeStderr(message + "\n")
    }
  }

  public static func writeStderr(_ s: String) {
    var s = s
    s.withUTF8 { buf in
      var done = 0
      while done < buf.count {
        let n = write(2, buf.baseAddress! + done, buf.count - done)
        if n <= 0 { return }
        done += n
      }
    }
  }
}
