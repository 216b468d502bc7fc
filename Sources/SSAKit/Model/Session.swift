import CKernels

/// One sequence being processed: the KV cache, the activation buffers and the position. `forward`
/// runs a batch of tokens (a prompt chunk, or one token when decoding) through the model.
public final class Session: @unchecked Sendable {
  public let model: Qwen2Model
  public let cache: KVCache
  let state: RunState
  /// The tokens whose keys and values the cache holds, in order.
  public private(set) var tokens: [Int] = []
  /// Number of tokens in the cache: the position of the next token.
  public var position: Int { cache.length }
  public var capacity: Int { cache.capacity }
  /// Tokens `forward` runs per chunk.
  public var chunkTokens: Int { state.maxTokens }
  /// Bytes this session allocated: KV cache plus activation buffers.
  public var byteCount: Int { cache.byteCount + state.byteCount }
  /// Layers whose output `forward` keeps (see `capture(layers:)`), and their buffer:
  /// [captured layer][maxTokens x hidden].
  public private(set) var capturedLayers: [Int] = []
  private var captureBuffer: [Float] = []

  /// Which positions' logits a forward pass computes. The output head is the largest matrix, so a
  /// prompt only pays for it at the positions whose logits are needed.
  public enum Logits {
    case none
    case last
    /// Every position of the batch; `handler(i, logits)` is called in order for each.
    case all((Int, UnsafeBufferPointer<Float>) throws -> Void)
  }

  /// - Parameters:
  ///   - capacity: the longest sequence (prompt plus generated tokens) the cache will hold.
  ///   - chunk: tokens processed per batch in prefill (scratch memory grows with it).
  ///   - cacheType: F16 (default) or F32.
  public init(model: Qwen2Model, capacity: Int, chunk: Int = 256, cacheType: GGMLType = .f16) throws {
    guard capacity > 0, capacity <= model.config.contextLength else {
      throw ModelError.contextOverflow(needed: capacity, capacity: model.config.contextLength)
    }
    self.model = model
    cache = KVCache(config: model.config, capacity: capacity, type: cacheType)
    state = RunState(
      config: model.config, weights: model.weights, maxTokens: max(1, min(chunk, capacity)),
      capacity: capacity, logitRows: 16)
  }

  /// Keep the output of `layers` (0-based; the residual stream after each, before the final norm) for
  /// the output rows of each chunk `forward` runs (the rows whose logits it reads), for probes that
  /// read the model's hidden states.
  public func capture(layers: [Int]) throws {
    for l in layers where l < 0 || l >= model.config.layerCount {
      throw ModelError.noSuchLayer(l, layerCount: model.config.layerCount)
    }
    capturedLayers = layers
    captureBuffer = [Float](repeating: 0, count: layers.count * state.maxTokens * model.config.hiddenSize)
    if !layers.isEmpty && state.gather.isEmpty {
      state.gather = [Float](repeating: 0, count: state.maxTokens * model.config.hiddenSize)
    }
  }

  /// The captured output of `capturedLayers[index]` for output row `row` of the last chunk run.
  public func captured(_ index: Int, row: Int) -> [Float] {
    let hidden = model.config.hiddenSize
    let start = (index * state.maxTokens + row) * hidden
    return Array(captureBuffer[start..<(start + hidden)])
  }

  /// Forget everything after the first `length` positions (to reuse a cached prefix).
  public func rewind(to length: Int) {
    cache.length = min(max(0, length), cache.length)
    tokens.removeLast(tokens.count - cache.length)
  }

  /// Keep the longest cached prefix shared with `prompt` (at least one prompt token is left to run,
  /// since its logits are needed) and return its length. Requests that share the fixed instruction
  /// text of a prompt format thus compute it once.
  @discardableResult
  public func reusePrefix(of prompt: [Int]) -> Int {
    var shared = 0
    let limit = min(tokens.count, prompt.count - 1)
    while shared < limit && tokens[shared] == prompt[shared] { shared += 1 }
    rewind(to: shared)
    return shared
  }

  /// Run `tokens` at the current position and append them to the cache. With `.last`, returns the
  /// logits of the last token (valid until the next call).
  @discardableResult
  public func forward(_ tokens: [Int], logits mode: Logits = .last) throws -> UnsafeBufferPointer<Float> {
    guard !tokens.isEmpty else { throw ModelError.emptyPrompt }
    let vocab = model.config.vocabularySize
    for t in tokens where t < 0 || t >= vocab { throw ModelError.tokenOutOfRange(token: t, vocabularySize: vocab) }
    guard cache.length + tokens.count <= cache.capacity else {
      throw ModelError.contextOverflow(needed: cache.length + tokens.count, capacity: cache.capacity)
    }
    var start = 0
    while start < tokens.count {
      let n = min(state.maxTokens, tokens.count - start)
      let isLast = start + n == tokens.count
      // the rows whose final hidden state is read: the logits' rows
      let outputs: Range<Int>
      switch mode {
      case .none: outputs = 0..<0
      case .last: outputs = isLast ? n - 1..<n : 0..<0
      case .all: outputs = 0..<n
      }
      tokens[start..<(start + n)].withUnsafeBufferPointer { chunk in
        let segment = BatchSegment(cache: cache, tokens: chunk, outputs: outputs)
        let hidden = model.config.hiddenSize, maxTokens = state.maxTokens
        ForwardPass.run(model: model, state: state, segments: [segment], captureLayers: capturedLayers) { index, rows in
          self.captureBuffer.withUnsafeMutableBufferPointer { buffer in
            (buffer.baseAddress! + index * maxTokens * hidden).update(from: rows, count: outputs.count * hidden)
          }
        }
      }
      self.tokens += tokens[start..<(start + n)]
      switch mode {
      case .none: break
      case .last: if isLast { ForwardPass.logits(model: model, state: state, rows: 0..<1) }
      case .all(let handler):
        var r = 0
        while r < n {
          let m = min(state.logitRows, n - r)
          ForwardPass.logits(model: model, state: state, rows: r..<(r + m))
          for i in 0..<m {
            try handler(start + r + i, UnsafeBufferPointer(start: state.logits + i * vocab, count: vocab))
          }
          r += m
        }
      }
      start += n
    }
    return UnsafeBufferPointer(start: state.logits, count: vocab)
  }
}
