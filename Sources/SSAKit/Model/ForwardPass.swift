import CKernels

/// One sequence's part of a batched forward pass: `count` tokens appended at the end of its cache
/// (`cache.length` is their first position), and the rows among them whose final hidden state is read
/// (their logits, or a probe's hidden state).
public struct BatchSegment {
  public let cache: KVCache
  public let tokens: UnsafeBufferPointer<Int>
  /// Rows of this segment (0..<tokens.count) whose output is read.
  public let outputs: Range<Int>

  public init(cache: KVCache, tokens: UnsafeBufferPointer<Int>, outputs: Range<Int>) {
    self.cache = cache
    self.tokens = tokens
    self.outputs = outputs
  }
}

/// The transformer over a batch of segments of several sequences, each with its own KV cache: the
/// matmuls run once over every token of the batch, RoPE at each token's own position, attention of
/// each token over its own sequence's cache. Every token's row is computed on its own (the kernels'
/// contract), so a token gets the same bits whatever else is in the batch.
///
/// The last layer runs past its cache write only on the output rows, moved to the front of the
/// buffers (rows 0..<m, segment after segment): a 2,048-token prompt read for its last logits skips
/// 1/24 of that work for all its other tokens, as llama.cpp does.
enum ForwardPass {
  /// Runs `segments` (their tokens at most `state.maxTokens` together) and advances each cache. The
  /// output rows' final hidden states are then rows 0..<m of `state.x`, in segment order; `capture`
  /// receives (layer index in `layers`, output rows 0..<m of that layer's output) for each captured layer.
  static func run(model: Qwen2Model, state s: RunState, segments: [BatchSegment], captureLayers: [Int] = [],
                  capture: ((Int, UnsafePointer<Float>) -> Void)? = nil) {
    let c = model.config
    let w = model.weights
    let hidden = c.hiddenSize
    var offsets: [Int] = []
    var n = 0
    for segment in segments {
      offsets.append(n)
      n += segment.tokens.count
    }
    precondition(n <= s.maxTokens, "batch larger than the run state")
    let outputCount = segments.reduce(0) { $0 + $1.outputs.count }

    for (i, segment) in segments.enumerated() {
      for (t, token) in segment.tokens.enumerated() { w.embed(token, into: s.x + (offsets[i] + t) * hidden) }
      model.fillRope(s.cosSin + offsets[i] * c.headDim, start: segment.cache.length, count: segment.tokens.count)
    }
    let scale = 1 / Float(c.headDim).squareRoot()
    let qkvDim = c.qDim + 2 * c.kvDim
    let q = s.qkv, k = s.qkv + c.qDim, v = s.qkv + c.qDim + c.kvDim
    let lastLayer = w.layers.count - 1
    for (l, layer) in w.layers.enumerated() {
      // attention: norm, q/k/v projections with bias, RoPE, cache write, attention, output projection
      ssa_rmsnorm(s.xb, s.x, layer.attnNorm, Int64(hidden), Int64(n), c.rmsEpsilon)
      project(layer.qkv, s.xb, hidden, n, s.qkv, qkvDim, s)
      ssa_add_bias(s.qkv, Int64(qkvDim), layer.qkvBias, Int64(qkvDim), Int64(n))
      ssa_rope_neox(q, Int64(qkvDim), Int64(n), Int32(c.headCount), Int32(c.headDim), s.cosSin)
      ssa_rope_neox(k, Int64(qkvDim), Int64(n), Int32(c.kvHeadCount), Int32(c.headDim), s.cosSin)
      let kvType = Int32(segments.first?.cache.type.rawValue ?? 0)
      for (i, segment) in segments.enumerated() {
        let cache = segment.cache, row = Int64(offsets[i] * qkvDim)
        ssa_kv_store(kvType, cache.keys(l), Int64(cache.capacity), Int32(c.kvHeadCount), Int32(c.headDim),
                     k + Int(row), Int64(qkvDim), Int64(cache.length), Int64(segment.tokens.count))
        ssa_kv_store(kvType, cache.values(l), Int64(cache.capacity), Int32(c.kvHeadCount), Int32(c.headDim),
                     v + Int(row), Int64(qkvDim), Int64(cache.length), Int64(segment.tokens.count))
      }
      // the rows this layer goes on with: all of them, or in the last layer the output rows, moved to the front
      var rows: [(segment: Int, first: Int, count: Int, position: Int)] = []
      if l == lastLayer {
        var to = 0
        for (i, segment) in segments.enumerated() where !segment.outputs.isEmpty {
          let from = offsets[i] + segment.outputs.lowerBound
          if from != to {
            for r in 0..<segment.outputs.count {
              (s.x + (to + r) * hidden).update(from: s.x + (from + r) * hidden, count: hidden)
              (s.qkv + (to + r) * qkvDim).update(from: s.qkv + (from + r) * qkvDim, count: qkvDim)
            }
          }
          rows.append((i, to, segment.outputs.count, segment.cache.length + segment.outputs.lowerBound))
          to += segment.outputs.count
        }
      } else {
        for (i, segment) in segments.enumerated() {
          rows.append((i, offsets[i], segment.tokens.count, segment.cache.length))
        }
      }
      let m = l == lastLayer ? outputCount : n
      if m == 0 { continue }
      attention(model: model, state: s, layer: l, segments: segments, rows: rows, scale: scale, kvType: kvType)
      matmul(layer.wo, s.att, c.qDim, m, s.xb, hidden, s)
      ssa_add(s.x, s.xb, Int64(m * hidden))

      // MLP: norm, down(silu(gate(x)) * up(x)), residual
      ssa_rmsnorm(s.xb, s.x, layer.ffnNorm, Int64(hidden), Int64(m), c.rmsEpsilon)
      mlp(model: model, layer: layer, x: s.xb, n: m, state: s)
      ssa_add(s.x, s.xb, Int64(m * hidden))
      if let capture, let index = captureLayers.firstIndex(of: l), outputCount > 0 {
        if l == lastLayer {
          capture(index, s.x)
        } else {
          // the output rows of this layer, gathered in order
          s.gather.withUnsafeMutableBufferPointer { buffer in
            var to = 0
            for (i, segment) in segments.enumerated() {
              for r in segment.outputs {
                (buffer.baseAddress! + to * hidden).update(from: s.x + (offsets[i] + r) * hidden, count: hidden)
                to += 1
              }
            }
            capture(index, buffer.baseAddress!)
          }
        }
      }
    }
    for segment in segments { segment.cache.length += segment.tokens.count }
  }

  /// Attention of `rows` (each a segment's run of consecutive rows at consecutive positions): runs of
  /// single-token rows (decoding sequences) go to the kernels in one call, longer runs one by one.
  private static func attention(model: Qwen2Model, state s: RunState, layer l: Int, segments: [BatchSegment],
                                rows: [(segment: Int, first: Int, count: Int, position: Int)], scale: Float, kvType: Int32) {
    let c = model.config
    let qkvDim = c.qDim + 2 * c.kvDim
    var i = 0
    while i < rows.count {
      if rows[i].count == 1 {
        var j = i
        var seqs: [ssa_attn_seq] = []
        while j < rows.count, rows[j].count == 1, rows[j].first == rows[i].first + (j - i) {
          let cache = segments[rows[j].segment].cache
          seqs.append(ssa_attn_seq(k_cache: cache.keys(l), v_cache: cache.values(l), capacity: Int64(cache.capacity),
                                   pos: Int64(rows[j].position)))
          j += 1
        }
        let first = rows[i].first
        ssa_attention_decode_batch(kvType, seqs, Int64(seqs.count), Int32(c.headCount), Int32(c.kvHeadCount),
                                   Int32(c.headDim), scale, s.qkv + first * qkvDim, Int64(qkvDim),
                                   s.att + first * c.qDim, Int64(c.qDim))
        i = j
      } else {
        let r = rows[i], cache = segments[r.segment].cache
        let needed = ssa_attention_scratch_size(Int64(r.position + r.count), Int64(r.count), Int32(c.kvHeadCount), Int32(c.headDim))
        ssa_attention(kvType, cache.keys(l), cache.values(l), Int64(cache.capacity), Int32(c.headCount),
                      Int32(c.kvHeadCount), Int32(c.headDim), scale, s.qkv + r.first * qkvDim, Int64(qkvDim),
                      Int64(r.position), Int64(r.count), s.att + r.first * c.qDim, Int64(c.qDim),
                      needed <= s.attentionScratchBytes ? s.attentionScratch : nil)
        i += 1
      }
    }
  }

  /// Final norm and output head for rows `rows` of the output rows, into `state.logits`.
  static func logits(model: Qwen2Model, state s: RunState, rows: Range<Int>) {
    let c = model.config
    let hidden = c.hiddenSize
    ssa_rmsnorm(s.xb, s.x + rows.lowerBound * hidden, model.weights.outputNorm, Int64(hidden),
                Int64(rows.count), c.rmsEpsilon)
    matmul(model.weights.output, s.xb, hidden, rows.count, s.logits, c.vocabularySize, s)
  }

  /// x = down(silu(gate(x)) * up(x)) for n tokens, in place. A prompt chunk with quantized weights
  /// runs it fused (ssa_mlp: the gate/up outputs never leave the cache); otherwise gate and up of
  /// `ffnTokens` tokens at a time into the run state's buffer.
  private static func mlp(model: Qwen2Model, layer: ModelWeights.Layer, x: UnsafeMutablePointer<Float>, n: Int,
                          state s: RunState) {
    let c = model.config
    let hidden = c.hiddenSize, ffn = c.intermediateSize
    if n > 1, layer.gateUp.isFused,
       ssa_mlp_fusable(layer.gateUp.parts[0].kernelType, layer.down.kernelType, Int64(ffn)) != 0 {
      ssa_mlp(layer.gateUp.parts[0].kernelType, layer.gateUp.parts[0].data, layer.down.kernelType, layer.down.data,
              Int64(hidden), Int64(ffn), x, Int64(n), x, s.matmulScratch)
      return
    }
    for t0 in stride(from: 0, to: n, by: s.ffnTokens) {
      let m = min(s.ffnTokens, n - t0)
      project(layer.gateUp, x + t0 * hidden, hidden, m, s.gateUp, 2 * ffn, s)
      ssa_swiglu_rows(s.gateUp, Int64(2 * ffn), Int64(m), Int64(ffn))
      matmul(layer.down, s.gateUp, 2 * ffn, m, x + t0 * hidden, hidden, s)
    }
  }

  /// y[:, part rows] = part(x) for each part of a projection, side by side in rows of `ldy`.
  @inline(__always)
  private static func project(_ p: ModelWeights.Projection, _ x: UnsafePointer<Float>, _ ldx: Int, _ n: Int,
                              _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ s: RunState) {
    var offset = 0
    for part in p.parts {
      matmul(part, x, ldx, n, y + offset, ldy, s)
      offset += part.rows
    }
  }

  @inline(__always)
  private static func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ ldx: Int, _ n: Int,
                             _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ s: RunState) {
    ssa_matmul(w.kernelType, w.data, Int64(w.rows), Int64(w.cols), x, Int64(ldx), Int64(n), y,
               Int64(ldy), s.matmulScratch)
  }
}
