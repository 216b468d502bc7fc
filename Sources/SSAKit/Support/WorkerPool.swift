import Foundation

/// Threads that run submitted closures, each result handed back with its index.
final class WorkerPool<Result>: @unchecked Sendable {
  private let condition = NSCondition()
  private var queue: [(Int, () -> Result)] = []
  private var finished: [(Int, Result)] = []
  private(set) var inFlight = 0
  private var closing = false
  private var threads: [Thread] = []

  init(threads count: Int) {
    for i in 0..<count {
      let thread = Thread { [unowned self] in self.serve() }
      thread.name = "ssa-worker-\(i)"
      thread.stackSize = 8 << 20
      threads.append(thread)
      thread.start()
    }
  }

  func submit(_ index: Int, _ job: @escaping () -> Result) {
    condition.lock()
    queue.append((index, job))
    inFlight += 1
    condition.broadcast()
    condition.unlock()
  }

  /// Blocks until at least one result is in (or nothing is in flight) and takes them all.
  func waitForResults() -> [(Int, Result)] {
    condition.lock()
    defer { condition.unlock() }
    while finished.isEmpty && inFlight > 0 { condition.wait() }
    let out = finished
    finished.removeAll()
    return out
  }

  /// The results that are in, without waiting.
  func takeResults() -> [(Int, Result)] {
    condition.lock()
    defer { condition.unlock() }
    let out = finished
    finished.removeAll()
    return out
  }

  func shutdown() {
    condition.lock()
    closing = true
    condition.broadcast()
    condition.unlock()
  }

  private func serve() {
    while true {
      condition.lock()
      while queue.isEmpty && !closing { condition.wait() }
      if queue.isEmpty && closing {
        condition.unlock()
        return
      }
      let (index, job) = queue.removeFirst()
      condition.unlock()
      let result = job()
      condition.lock()
      finished.append((index, result))
      inFlight -= 1
      condition.broadcast()
      condition.unlock()
    }
  }
}
