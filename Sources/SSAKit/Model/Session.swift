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
  /// the rows of each chunk `forward` runs, for probes that read the model's hidden states. The last
  /// layer runs only the rows whose logits are read, so its captured rows are valid only for those.
  public func capture(layers: [Int]) throws {
    for l in layers where l < 0 || l >= model.config.layerCount {
      throw ModelError.noSuchLayer(l, layerCount: model.config.layerCount)
    }
    capturedLayers = layers
    captureBuffer = [Float](repeating: 0, count: layers.count * state.maxTokens * model.config.hiddenSize)
  }

  /// The captured output of `capturedLayers[index]` for row `row` of the last chunk run.
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
      tokens[start..<(start + n)].withUnsafeBufferPointer { forwardChunk($0, outputs: outputs) }
      self.tokens += tokens[start..<(start + n)]
      switch mode {
      case .none: break
      case .last: if isLast { computeLogits(rows: n - 1..<n) }
      case .all(let handler):
        var r = 0
        while r < n {
          let m = min(state.logitRows, n - r)
          computeLogits(rows: r..<(r + m))
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

  /// The transformer on one chunk of at most `maxTokens` tokens, appended at the cache's end. Rows
  /// `outputs` of `state.x` then hold the final hidden states; the others are left mid-way. The
  /// cache needs every token's keys and values, but past the last layer's cache write only the
  /// output rows are read, so that layer's attention, output projection and MLP run on them alone
  /// (a 2,048-token prompt with `.last` skips 1/24 of that work for all but its last token, as
  /// llama.cpp does).
  private func forwardChunk(_ tokens: UnsafeBufferPointer<Int>, outputs: Range<Int>) {
    let c = model.config
    let w = model.weights
    let s = state
    let n = tokens.count
    let pos0 = cache.length
    let hidden = c.hiddenSize

    for (t, token) in tokens.enumerated() { w.embed(token, into: s.x + t * hidden) }
    model.fillRope(s.cosSin, start: pos0, count: n)
    let scale = 1 / Float(c.headDim).squareRoot()

    let qkvDim = c.qDim + 2 * c.kvDim
    let q = s.qkv, k = s.qkv + c.qDim, v = s.qkv + c.qDim + c.kvDim
    let kvType = Int32(cache.type.rawValue)
    for (l, layer) in w.layers.enumerated() {
      // attention: norm, q/k/v projections with bias, RoPE, cache write, attention, output projection
      ssa_rmsnorm(s.xb, s.x, layer.attnNorm, Int64(hidden), Int64(n), c.rmsEpsilon)
      project(layer.qkv, s.xb, hidden, n, s.qkv, qkvDim)
      ssa_add_bias(s.qkv, Int64(qkvDim), layer.qkvBias, Int64(qkvDim), Int64(n))
      ssa_rope_neox(q, Int64(qkvDim), Int64(n), Int32(c.headCount), Int32(c.headDim), s.cosSin)
      ssa_rope_neox(k, Int64(qkvDim), Int64(n), Int32(c.kvHeadCount), Int32(c.headDim), s.cosSin)
      ssa_kv_store(kvType, cache.keys(l), Int64(cache.capacity), Int32(c.kvHeadCount), Int32(c.headDim),
                   k, Int64(qkvDim), Int64(pos0), Int64(n))
      ssa_kv_store(kvType, cache.values(l), Int64(cache.capacity), Int32(c.kvHeadCount), Int32(c.headDim),
                   v, Int64(qkvDim), Int64(pos0), Int64(n))
      let rows = l == w.layers.count - 1 ? outputs : 0..<n
      if rows.isEmpty { continue }
      let r0 = rows.lowerBound, m = rows.count
      let x = s.x + r0 * hidden, xb = s.xb + r0 * hidden, att = s.att + r0 * c.qDim
      ssa_attention(kvType, cache.keys(l), cache.values(l), Int64(cache.capacity), Int32(c.headCount),
                    Int32(c.kvHeadCount), Int32(c.headDim), scale, q + r0 * qkvDim, Int64(qkvDim),
                    Int64(pos0 + r0), Int64(m), att, Int64(c.qDim), s.attentionScratch)
      matmul(layer.wo, att, c.qDim, m, xb, hidden)
      ssa_add(x, xb, Int64(m * hidden))

      // MLP: norm, down(silu(gate(x)) * up(x)), residual
      ssa_rmsnorm(xb, x, layer.ffnNorm, Int64(hidden), Int64(m), c.rmsEpsilon)
      mlp(layer, xb, m)
      ssa_add(x, xb, Int64(m * hidden))
      if let index = capturedLayers.firstIndex(of: l) { keepCapture(index, rows: rows) }
    }
    cache.length = pos0 + n
  }

  private func keepCapture(_ index: Int, rows: Range<Int>) {
    let hidden = model.config.hiddenSize
    captureBuffer.withUnsafeMutableBufferPointer { buffer in
      let out = buffer.baseAddress! + (index * state.maxTokens + rows.lowerBound) * hidden
      out.update(from: state.x + rows.lowerBound * hidden, count: rows.count * hidden)
    }
  }

  /// x = down(silu(gate(x)) * up(x)) for n tokens, in place. A prompt chunk with quantized weights
  /// runs it fused (ssa_mlp: the gate/up outputs never leave the cache); otherwise gate and up of
  /// `ffnTokens` tokens at a time into the run state's buffer.
  private func mlp(_ layer: ModelWeights.Layer, _ x: UnsafeMutablePointer<Float>, _ n: Int) {
    let c = model.config
    let hidden = c.hiddenSize, ffn = c.intermediateSize
    let s = state
    if n > 1, layer.gateUp.isFused,
       ssa_mlp_fusable(layer.gateUp.parts[0].kernelType, layer.down.kernelType, Int64(ffn)) != 0 {
      ssa_mlp(layer.gateUp.parts[0].kernelType, layer.gateUp.parts[0].data, layer.down.kernelType, layer.down.data,
              Int64(hidden), Int64(ffn), x, Int64(n), x, s.matmulScratch)
      return
    }
    for t0 in stride(from: 0, to: n, by: s.ffnTokens) {
      let m = min(s.ffnTokens, n - t0)
      project(layer.gateUp, x + t0 * hidden, hidden, m, s.gateUp, 2 * ffn)
      ssa_swiglu_rows(s.gateUp, Int64(2 * ffn), Int64(m), Int64(ffn))
      matmul(layer.down, s.gateUp, 2 * ffn, m, x + t0 * hidden, hidden)
    }
  }

  /// Final norm and output head for rows `rows` of the last chunk, into `state.logits`.
  private func computeLogits(rows: Range<Int>) {
    let c = model.config
    let s = state
    let hidden = c.hiddenSize
    ssa_rmsnorm(s.xb, s.x + rows.lowerBound * hidden, model.weights.outputNorm, Int64(hidden),
                Int64(rows.count), c.rmsEpsilon)
    matmul(model.weights.output, s.xb, hidden, rows.count, s.logits, c.vocabularySize)
  }

  /// y[:, part rows] = part(x) for each part of a projection, side by side in rows of `ldy`.
  @inline(__always)
  private func project(_ p: ModelWeights.Projection, _ x: UnsafePointer<Float>, _ ldx: Int, _ n: Int,
                       _ y: UnsafeMutablePointer<Float>, _ ldy: Int) {
    var offset = 0
    for part in p.parts {
      matmul(part, x, ldx, n, y + offset, ldy)
      offset += part.rows
    }
  }

  @inline(__always)
  private func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ ldx: Int, _ n: Int,
                      _ y: UnsafeMutablePointer<Float>, _ ldy: Int) {
    ssa_matmul(w.kernelType, w.data, Int64(w.rows), Int64(w.cols), x, Int64(ldx), Int64(n), y,
               Int64(ldy), state.matmulScratch)
  }
}
