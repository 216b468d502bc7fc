import Foundation

/// "120 records, 3.4 records/s, 40%, ETA 1m05s" on stderr, at most a few times a second. The ETA
/// comes from bytes read against the input's size, so it needs a regular file; on a pipe it is left
/// out. Silent when `Diagnostics.quiet` is set.
public final class ProgressMeter {
  private let totalBytes: Int?
  private let started = Date()
  private var lastShown = Date.distantPast
  private let interval: TimeInterval

  public init(totalBytes: Int?, interval: TimeInterval = 0.25) {
    self.totalBytes = totalBytes
    self.interval = interval
  }

  public func update(records: Int, bytes: Int) {
    let now = Date()
    guard now.timeIntervalSince(lastShown) >= interval else { return }
    lastShown = now
    Diagnostics.progress(line(records: records, bytes: bytes, now: now))
  }

  public func finish(records: Int, bytes: Int) {
    Diagnostics.progress(line(records: records, bytes: bytes, now: Date(), final: true), final: true)
  }

  func line(records: Int, bytes: Int, now: Date, final: Bool = false) -> String {
    let elapsed = max(now.timeIntervalSince(started), 1e-9)
    let rate = Double(records) / elapsed
    var text = "\(records) record\(records == 1 ? "" : "s"), \(String(format: "%.2f", rate)) records/s"
    if final {
      text += ", \(ProgressMeter.duration(elapsed))"
    } else if let total = totalBytes, total > 0, bytes > 0 {
      let fraction = min(Double(bytes) / Double(total), 1)
      text += ", \(Int(fraction * 100))%"
      let remaining = elapsed * (1 - fraction) / fraction
      text += ", ETA \(ProgressMeter.duration(remaining))"
    }
    return text
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
  }
}
