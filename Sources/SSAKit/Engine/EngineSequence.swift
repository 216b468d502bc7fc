import Foundation

/// One active sequence of the batched engine: its own KV cache, the tokens it still has to feed, and
/// what it does with the logits (and hidden states) of its output rows: sample its next token with its
/// own settings and seed, or add up a continuation's log-probability.
final class EngineSequence {
  let job: EngineJob
  let cache: KVCache
  /// The tokens whose keys and values the cache holds (positions 0..<cache.length).
  private(set) var cachedTokens: [Int]
  /// Tokens to feed, and how many of them have been fed.
  private(set) var pending: [Int]
  private(set) var fed = 0
  /// Every pending row's output is read (a continuation being scored), else only the last one's.
  private(set) var everyRow = false
  /// Prompt tokens that came from another sequence's cache instead of being computed.
  let reused: Int
  private(set) var isFinished = false
  let admitted = DispatchTime.now()
  private var prefillDone: DispatchTime?

  // generation
  private var generation: GenerationState?
  // scoring
  private var continuations: [[Int]] = []
  private var layers: [Int] = []
  private var promptEnd = 0
  private var current = 0
  private var firstLogProbabilities: [Double] = []
  private var running = 0.0
  private var scores: [ContinuationScore] = []

  init(job: EngineJob, cache: KVCache, reused: Int, tokenizer: Tokenizer) {
    self.job = job
    self.cache = cache
    self.reused = reused
    cachedTokens = Array(job.prompt[..<reused])
    pending = Array(job.prompt[reused...])
    switch job.work {
    case .generate(let settings, let onText):
      generation = GenerationState(settings: settings, tokenizer: tokenizer,
                                   stopTokens: GenerationState.stopTokenIds(settings.stopTokens, tokenizer: tokenizer),
                                   onText: onText)
    case .score(let continuations, let layers):
      self.continuations = continuations
      self.layers = layers
    }
  }

  /// Tokens left to feed.
  var remaining: Int { pending.count - fed }

  /// The layers whose hidden states this sequence reads in its current phase.
  var captureLayers: [Int] { everyRow ? layers : [] }

  /// The next `count` pending tokens and which of them are output rows.
  func chunk(_ count: Int) -> (tokens: ArraySlice<Int>, outputs: Range<Int>) {
    let tokens = pending[fed..<(fed + count)]
    if everyRow { return (tokens, 0..<count) }
    return (tokens, fed + count == pending.count ? count - 1..<count : 0..<0)
  }

  /// The chunk of `count` tokens has run.
  func advance(_ count: Int) {
    cachedTokens += pending[fed..<(fed + count)]
    fed += count
  }

  /// Output row `row` of the chunk that started at pending index `start`: its logits and, for the
  /// last row of a scored continuation, the hidden states of `layers` (in the order of `captured`).
  func receive(row: Int, chunkStart: Int, logits: UnsafeBufferPointer<Float>, hidden: (Int) -> [Float]) {
    let index = chunkStart + row
    if everyRow {
      let option = continuations[current]
      if index + 1 < option.count {
        running += Perplexity.logSoftmax(logits, at: option[index + 1])
      } else {
        let states = layers.indices.map { hidden($0) }
        scores.append(ContinuationScore(logProbability: running, tokenCount: option.count, hidden: states))
      }
      return
    }
    guard index == pending.count - 1 else { return }
    if generation != nil {
      if let token = generation!.next(logits) {
        next = token
      }
    } else {
      // the prompt's last logits predict each continuation's first token
      firstLogProbabilities = continuations.map { $0.first.map { Perplexity.logSoftmax(logits, at: $0) } ?? 0 }
    }
  }

  private var next: Int?

  /// Moves on once every pending token has run: the next token to feed, the next continuation to
  /// score, or the end.
  func afterStep() {
    guard remaining == 0 else { return }
    if prefillDone == nil { prefillDone = DispatchTime.now() }
    if generation != nil {
      if let token = next, !generation!.isFinished {
        next = nil
        if cache.length >= cache.capacity {
          generation!.end(.contextFull)
          isFinished = true
        } else {
          pending = [token]
          fed = 0
        }
      } else {
        isFinished = true
      }
      return
    }
    // scoring: after the prompt, then after each continuation
    if everyRow { current += 1 } else { promptEnd = cache.length }
    while current < continuations.count && continuations[current].isEmpty {
      scores.append(ContinuationScore(logProbability: 0, tokenCount: 0, hidden: layers.map { _ in [] }))
      current += 1
    }
    guard current < continuations.count else {
      isFinished = true
      return
    }
    rewind(to: promptEnd)
    pending = continuations[current]
    fed = 0
    everyRow = true
    running = firstLogProbabilities[current]
  }

  private func rewind(to length: Int) {
    cache.length = length
    cachedTokens.removeLast(cachedTokens.count - length)
  }

  /// Ends a generation early (cancelled); scoring just stops.
  func cancel() {
    generation?.end(.cancelled)
    isFinished = true
  }

  /// The job's result once finished.
  var output: EngineJob.Output {
    if let generation {
      let end = DispatchTime.now().uptimeNanoseconds
      let prefillEnd = (prefillDone ?? DispatchTime.now()).uptimeNanoseconds
      return .generation(GenerationResult(
        tokens: generation.tokens, text: generation.text, stopReason: generation.stopReason ?? .maxTokens,
        promptTokens: job.prompt.count, prefillTokens: job.prompt.count - reused,
        prefillSeconds: Double(prefillEnd - admitted.uptimeNanoseconds) / 1e9,
        decodeSeconds: Double(end - prefillEnd) / 1e9))
    }
    return .scores(scores)
  }
}
