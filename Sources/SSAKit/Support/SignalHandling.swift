#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide signal set-up for commands that stream records: SIGPIPE is ignored (a closed pipe
/// then shows up as EPIPE, handled by `OutputSink`), and the first SIGINT only raises a flag, so the
/// run stops at the next record boundary with every finished record written. The handler resets
/// itself, so a second Ctrl-C kills the process at once.
public enum SignalHandling {
  /// One word written by the signal handler and read by the run loop.
  nonisolated(unsafe) private static let flag: UnsafeMutablePointer<Int32> = {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
  }()

  public static var interrupted: Bool { flag.pointee != 0 }

  public static func install() {
    _ = flag  // allocate before any signal can arrive
    signal(SIGPIPE, SIG_IGN)
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = { _ in SignalHandling.raise() }
    #else
    action.__sigaction_u.__sa_handler = { _ in SignalHandling.raise() }
    #endif
    sigemptyset(&action.sa_mask)
    // No SA_RESTART: a blocked read returns EINTR, so waiting on a terminal or pipe ends too.
    action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)  // 0x80000000 on Linux
    sigaction(SIGINT, &action, nil)
  }

  /// What the handler does (also callable from tests).
  public static func raise() {
    flag.pointee = 1
  }

  /// Clears the flag (tests only; a real run ends after an interrupt).
  public static func reset() {
    flag.pointee = 0
  }
}
