import CKernels
import Foundation

/// Continuous batching: many sequences through one forward pass per step.
///
/// Callers on any thread submit requests (`generate`, `score`) and block until theirs is done; one
/// engine thread runs the steps. Each step the scheduler picks every decoding sequence's next token
/// and prompt chunks of the sequences that are starting; `ForwardPass` runs them as one batch (the
/// weights read once for all of them, attention of each token over its own sequence's cache); then
/// each sequence samples with its own settings and seed, or scores. A finished sequence's slot is
/// refilled at the next step. Each sequence's KV cache holds what it needs (its prompt and its token
/// limit), allocated when it joins, within a memory budget: when the caches of more would not fit,
/// fewer run at once. A new sequence copies the keys and values of the longest prefix it shares with
/// a running or recently finished sequence (the prompt format's instruction text, or a question read
/// in several orders) instead of computing them again.
///
/// Every token's row is computed on its own (the kernels' contract), so a request's result does not
/// depend on what else runs beside it: greedy outputs are the same at any number of sequences.
public final class BatchEngine: @unchecked Sendable {
  public struct Configuration: Sendable {
    public var maxSequences: Int
    /// Tokens per step (decode rows and prompt chunks together).
    public var stepTokens: Int
    /// Bytes of KV cache at most (active sequences and retained prefixes).
    public var memoryBudget: Int
    public var cacheType: GGMLType
    /// Finished sequences kept for their prefixes (within the budget).
    public var retainedPrefixes: Int

    public init(maxSequences: Int = 1, stepTokens: Int = 256, memoryBudget: Int = BatchEngine.defaultMemoryBudget,
                cacheType: GGMLType = .f16, retainedPrefixes: Int = 4) {
      self.maxSequences = maxSequences
      self.stepTokens = stepTokens
      self.memoryBudget = memoryBudget
      self.cacheType = cacheType
      self.retainedPrefixes = retainedPrefixes
    }
  }

  /// A quarter of the machine's memory, for KV caches.
  public static var defaultMemoryBudget: Int { Int(ProcessInfo.processInfo.physicalMemory / 4) }

  /// The shortest shared prefix worth copying instead of computing.
  static let minimumSharedPrefix = 8

  public let model: Qwen2Model
  public let tokenizer: Tokenizer
  public let configuration: Configuration
  public let scheduler: BatchScheduler
  private let state: RunState
  private let condition = NSCondition()
  private var waiting: [EngineJob] = []
  private var active: [EngineSequence] = []
  /// Caches of finished sequences, most recent first, with the tokens they hold.
  private var retained: [(cache: KVCache, tokens: [Int])] = []
  private var started = false
  private var stopping = false
  private var statisticsStore = Statistics()

  /// What the engine has done (for metrics and benchmarks).
  public struct Statistics: Sendable {
    public var steps = 0
    public var tokens = 0
    public var promptTokensReused = 0
    public var generatedTokens = 0
    public var busySequences = 0
    /// The most sequences that ran in one step.
    public var peakSequences = 0
    public var queued = 0
    public var cacheBytes = 0
  }

  public init(model: Qwen2Model, tokenizer: Tokenizer, configuration: Configuration = Configuration()) {
    self.model = model
    self.tokenizer = tokenizer
    self.configuration = configuration
    scheduler = BatchScheduler(maxSequences: configuration.maxSequences, stepTokens: configuration.stepTokens,
                               memoryBudget: configuration.memoryBudget)
    state = RunState(config: model.config, weights: model.weights, maxTokens: scheduler.stepTokens,
                     capacity: min(model.config.contextLength, 4096), logitRows: 16)
  }

  public var statistics: Statistics {
    condition.lock()
    defer { condition.unlock() }
    return statisticsStore
  }

  /// Bytes of KV cache a sequence of `capacity` tokens takes.
  public func cacheBytes(capacity: Int) -> Int {
    let c = model.config
    return 2 * c.layerCount * c.kvHeadCount * capacity * c.headDim * (configuration.cacheType == .f16 ? 2 : 4)
  }

  // MARK: - Requests (any thread)

  /// Generates after `prompt`; blocks until done. `onText` runs on the engine thread.
  public func generate(prompt: [Int], settings: GenerationSettings,
                       onText: ((String) -> Bool)? = nil) throws -> GenerationResult {
    let (needed, overflow) = prompt.count.addingReportingOverflow(max(0, settings.maxTokens))
    let capacity = overflow ? Int.max : needed
    let job = try submit(prompt: prompt, work: .generate(settings, onText: onText), capacity: capacity)
    guard case .generation(let result) = try job.wait() else { fatalError("a generation job gave scores") }
    return result
  }

  /// Scores each continuation after `prompt` (see `AggregationEngine.score`); blocks until done.
  public func score(prompt: [Int], continuations: [[Int]], hiddenLayers: [Int]) throws -> [ContinuationScore] {
    for l in hiddenLayers where l < 0 || l >= model.config.layerCount {
      throw ModelError.noSuchLayer(l, layerCount: model.config.layerCount)
    }
    let longest = continuations.map(\.count).max() ?? 0
    let job = try submit(prompt: prompt, work: .score(continuations: continuations, layers: hiddenLayers),
                         capacity: prompt.count + longest)
    guard case .scores(let scores) = try job.wait() else { fatalError("a scoring job gave a generation") }
    return scores
  }

  /// Checks a request and queues it; a request that can never run fails here, without a slot.
  func submit(prompt: [Int], work: EngineJob.Work, capacity: Int) throws -> EngineJob {
    guard !prompt.isEmpty else { throw ModelError.emptyPrompt }
    let vocab = model.config.vocabularySize
    for t in prompt where t < 0 || t >= vocab { throw ModelError.tokenOutOfRange(token: t, vocabularySize: vocab) }
    if case .score(let continuations, _) = work {
      for c in continuations { for t in c where t < 0 || t >= vocab { throw ModelError.tokenOutOfRange(token: t, vocabularySize: vocab) } }
    }
    guard capacity <= model.config.contextLength else {
      throw ModelError.contextOverflow(needed: capacity, capacity: model.config.contextLength)
    }
    let bytes = cacheBytes(capacity: capacity)
    guard bytes <= configuration.memoryBudget else { throw EngineError.overBudget(needed: bytes, budget: configuration.memoryBudget) }
    let job = EngineJob(prompt: prompt, work: work, capacity: capacity)
    condition.lock()
    if !started {
      started = true
      let thread = Thread { [weak self] in self?.loop() }
      thread.name = "ssa-engine"
      thread.stackSize = 8 << 20
      thread.start()
    }
    waiting.append(job)
    statisticsStore.queued = waiting.count
    condition.signal()
    condition.unlock()
    return job
  }

  /// Cancels every queued and running request (their callers get `GenerationCancelled`).
  public func cancelAll() {
    condition.lock()
    for job in waiting { job.cancel() }
    for s in active { s.job.cancel() }
    condition.signal()
    condition.unlock()
  }

  /// Lets the engine thread end once it has no work (the engine can then be released).
  public func shutdown() {
    condition.lock()
    stopping = true
    condition.signal()
    condition.unlock()
  }

  // MARK: - The engine thread

  private func loop() {
    while true {
      condition.lock()
      while waiting.isEmpty && active.isEmpty {
        if stopping {
          condition.unlock()
          return
        }
        condition.wait()
      }
      admit()
      statisticsStore.busySequences = active.count
      statisticsStore.queued = waiting.count
      condition.unlock()
      dropCancelled()
      if !active.isEmpty { step() }
    }
  }

  /// Moves waiting requests into slots while the scheduler admits them (first come, first served).
  /// Called with the lock held.
  private func admit() {
    // cancelled before they ran
    waiting.removeAll { job in
      guard job.isCancelled || SignalHandling.interrupted else { return false }
      job.finish(.failure(SignalHandling.interrupted ? GenerationInterrupted() : GenerationCancelled()))
      return true
    }
    while let job = waiting.first {
      let bytes = cacheBytes(capacity: job.capacity)
      var used = active.reduce(0) { $0 + $1.cache.byteCount } + retained.reduce(0) { $0 + $1.cache.byteCount }
      // retained prefixes give way to new sequences
      while !scheduler.admits(bytes: bytes, active: active.count, used: used), active.count < scheduler.maxSequences,
            let last = retained.popLast() {
        used -= last.cache.byteCount
      }
      guard scheduler.admits(bytes: bytes, active: active.count, used: used) else { break }
      waiting.removeFirst()
      let cache = KVCache(config: model.config, capacity: job.capacity, type: configuration.cacheType)
      let reused = sharePrefix(into: cache, prompt: job.prompt)
      active.append(EngineSequence(job: job, cache: cache, reused: reused, tokenizer: tokenizer))
      statisticsStore.promptTokensReused += reused
      statisticsStore.cacheBytes = used + bytes
    }
  }

  /// Copies the keys and values of the longest prefix `prompt` shares with a running or retained
  /// sequence into `cache` (leaving at least one prompt token to run); returns its length.
  private func sharePrefix(into cache: KVCache, prompt: [Int]) -> Int {
    var best: (cache: KVCache, length: Int)?
    let limit = prompt.count - 1
    func consider(_ donor: KVCache, _ tokens: [Int]) {
      var n = 0
      let m = min(limit, tokens.count, donor.length)
      while n < m && tokens[n] == prompt[n] { n += 1 }
      if n >= BatchEngine.minimumSharedPrefix, n > (best?.length ?? 0) { best = (donor, n) }
    }
    for s in active { consider(s.cache, s.cachedTokens) }
    for r in retained { consider(r.cache, r.tokens) }
    guard let best else { return 0 }
    cache.copyPrefix(from: best.cache, length: best.length)
    return best.length
  }

  private func dropCancelled() {
    for s in active where !s.isFinished && (s.job.isCancelled || SignalHandling.interrupted) {
      s.cancel()
    }
    finishDone()
  }

  /// Hands finished sequences their results, keeps their caches as prefixes, frees their slots.
  private func finishDone() {
    let done = active.filter(\.isFinished)
    guard !done.isEmpty else { return }
    condition.lock()
    active.removeAll(where: \.isFinished)
    for s in done {
      if s.job.isCancelled || SignalHandling.interrupted {
        s.job.finish(.failure(SignalHandling.interrupted ? GenerationInterrupted() : GenerationCancelled()))
        continue
      }
      if case .generation(let g) = s.output { statisticsStore.generatedTokens += g.tokens.count }
      s.job.finish(.success(s.output))
      if configuration.retainedPrefixes > 0 {
        retained.insert((s.cache, s.cachedTokens), at: 0)
        if retained.count > configuration.retainedPrefixes { retained.removeLast() }
      }
    }
    statisticsStore.busySequences = active.count
    condition.unlock()
  }

  /// One forward pass over the scheduler's pick of tokens, then each sequence's sampling or scoring.
  private func step() {
    // decoding sequences first, so that their single rows are contiguous for batched attention
    let order = active.indices.filter { active[$0].remaining == 1 } + active.indices.filter { active[$0].remaining > 1 }
    let sequences = order.map { active[$0] }
    let take = scheduler.plan(remaining: sequences.map(\.remaining))
    var tokens: [Int] = []
    var parts: [(sequence: EngineSequence, start: Int, count: Int, chunkStart: Int, outputs: Range<Int>)] = []
    for (s, n) in zip(sequences, take) where n > 0 {
      let chunk = s.chunk(n)
      parts.append((s, tokens.count, n, s.fed, chunk.outputs))
      tokens += chunk.tokens
    }
    guard !parts.isEmpty else { return }
    let layers = Array(Set(parts.flatMap { $0.sequence.captureLayers })).sorted()
    let hidden = model.config.hiddenSize
    let outputCount = parts.reduce(0) { $0 + $1.outputs.count }
    var captured = [Float](repeating: 0, count: layers.count * outputCount * hidden)
    if !layers.isEmpty && state.gather.isEmpty { state.gather = [Float](repeating: 0, count: state.maxTokens * hidden) }
    tokens.withUnsafeBufferPointer { all in
      let segments = parts.map {
        BatchSegment(cache: $0.sequence.cache, tokens: UnsafeBufferPointer(rebasing: all[$0.start..<($0.start + $0.count)]),
                     outputs: $0.outputs)
      }
      ForwardPass.run(model: model, state: state, segments: segments, captureLayers: layers) { index, rows in
        captured.withUnsafeMutableBufferPointer { buffer in
          (buffer.baseAddress! + index * outputCount * hidden).update(from: rows, count: outputCount * hidden)
        }
      }
    }
    // the output rows' logits, a group of rows at a time, to their sequences in order
    var owners: [(part: Int, row: Int)] = []
    for (p, part) in parts.enumerated() { for r in part.outputs { owners.append((p, r)) } }
    let vocab = model.config.vocabularySize
    var r0 = 0
    while r0 < owners.count {
      let m = min(state.logitRows, owners.count - r0)
      ForwardPass.logits(model: model, state: state, rows: r0..<(r0 + m))
      for i in 0..<m {
        let (p, row) = owners[r0 + i]
        let part = parts[p]
        let outputIndex = r0 + i
        let s = part.sequence
        let logits = UnsafeBufferPointer(start: state.logits + i * vocab, count: vocab)
        s.receive(row: row, chunkStart: part.chunkStart, logits: logits) { layerIndex in
          let l = layers.firstIndex(of: s.captureLayers[layerIndex])!
          let start = (l * outputCount + outputIndex) * hidden
          return Array(captured[start..<(start + hidden)])
        }
      }
      r0 += m
    }
    for part in parts {
      part.sequence.advance(part.count)
      part.sequence.afterStep()
    }
    condition.lock()
    statisticsStore.peakSequences = max(statisticsStore.peakSequences, parts.count)
    statisticsStore.steps += 1
    statisticsStore.tokens += tokens.count
    condition.unlock()
    finishDone()
  }
}

/// Why the engine refused a request.
public enum EngineError: Error, Equatable, CustomStringConvertible {
  case overBudget(needed: Int, budget: Int)

  public var description: String {
    switch self {
    case .overBudget(let needed, let budget):
      return "the request's KV cache needs \(needed >> 20) MiB, more than the memory budget of \(budget >> 20) MiB (--max-memory)"
    }
  }
}
