import Foundation

/// One request to the batched engine, from the caller's thread: a prompt and what to do after it
/// (generate, or score continuations), and the slot its result comes back in.
final class EngineJob: @unchecked Sendable {
  enum Work {
    case generate(GenerationSettings, onText: ((String) -> Bool)?)
    /// Each continuation teacher-forced after the prompt, with the hidden states of `layers`.
    case score(continuations: [[Int]], layers: [Int])
  }

  enum Output {
    case generation(GenerationResult)
    case scores([ContinuationScore])
  }

  let prompt: [Int]
  let work: Work
  /// Tokens the sequence's cache must hold: the prompt and what follows it.
  let capacity: Int
  let submitted = DispatchTime.now()
  private let done = DispatchSemaphore(value: 0)
  private var outcome: Result<Output, Error>?
  /// Set from any thread (a client gone, a timeout); the engine drops the job at its next step.
  private let cancelFlag = ManagedAtomicFlag()

  init(prompt: [Int], work: Work, capacity: Int) {
    self.prompt = prompt
    self.work = work
    self.capacity = capacity
  }

  var isCancelled: Bool { cancelFlag.isSet }
  func cancel() { cancelFlag.set() }

  /// Called once by the engine.
  func finish(_ result: Result<Output, Error>) {
    outcome = result
    done.signal()
  }

  /// Blocks until the engine has finished the job.
  func wait() throws -> Output {
    done.wait()
    return try outcome!.get()
  }
}

/// A flag set once, read from any thread.
final class ManagedAtomicFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false

  var isSet: Bool {
    lock.lock()
    defer { lock.unlock() }
    return value
  }

  func set() {
    lock.lock()
    value = true
    lock.unlock()
  }
}

/// A request the engine dropped before it finished: cancelled by its caller.
public struct GenerationCancelled: Error, CustomStringConvertible {
  public var description: String { "cancelled before the answer was complete" }
}
