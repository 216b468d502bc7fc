import Foundation

/// Process resource figures read from the kernel.
public enum ResourceUsage {
  /// Peak resident set size of this process in bytes (VmHWM), or nil where /proc is not available.
  public static var peakResidentBytes: Int? { statusField("VmHWM") }
  /// Current resident set size in bytes (VmRSS).
  public static var residentBytes: Int? { statusField("VmRSS") }

  private static func statusField(_ name: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
      let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
      return kb.map { $0 * 1024 }
    }
    return nil
  }
}
