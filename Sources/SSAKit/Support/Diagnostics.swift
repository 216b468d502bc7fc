import Dispatch

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

  nonisolated(unsafe) private static var lastLoggedProgress: UInt64 = 0

  /// A progress line that overwrites itself on a terminal; into a log (not a terminal), a whole line at
  /// most every 30 seconds, and the final one.
  public static func progress(_ message: String, final: Bool = false) {
    guard !quiet else { return }
    if isatty(2) != 0 {
      writeStderr("\r\u{1B}[K" + message + (final ? "\n" : ""))
      return
    }
    let now = DispatchTime.now().uptimeNanoseconds
    if final || now - lastLoggedProgress >= 30_000_000_000 {
      lastLoggedProgress = now
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
