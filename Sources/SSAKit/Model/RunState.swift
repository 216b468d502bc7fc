import CKernels

/// Every activation buffer of a forward pass, allocated once for chunks of up to `maxTokens` tokens,
/// so the per-token path never allocates. Row-major, one row per token.
final class RunState {
  let maxTokens: Int
  let x: UnsafeMutablePointer<Float>       // [maxTokens x hidden] residual stream
  let xb: UnsafeMutablePointer<Float>      // [maxTokens x hidden] normed input / projection output
  let qkv: UnsafeMutablePointer<Float>     // [maxTokens x (qDim + 2 kvDim)]: Q, K, V of each token
  let att: UnsafeMutablePointer<Float>     // [maxTokens x qDim] attention output
  let gateUp: UnsafeMutablePointer<Float>  // [ffnTokens x 2 ffn]: gate, then up, of each token
  /// Tokens whose MLP runs at a time: the gate/up activations are the largest buffer of a chunk
  /// (2 x 4,864 floats a token for Qwen2.5-0.5B), so chunks longer than 256 tokens run it in parts
  /// (measured: parts of 256 are as fast as whole 512-token chunks, parts of 128 slower).
  let ffnTokens: Int
  let cosSin: UnsafeMutablePointer<Float>  // [maxTokens x headDim] RoPE cosines, then sines
  let logits: UnsafeMutablePointer<Float>  // [logitRows x vocab]
  let logitRows: Int
  let matmulScratch: UnsafeMutableRawPointer
  let attentionScratch: UnsafeMutableRawPointer
  let attentionScratchBytes: Int
  /// [maxTokens x hidden]: output rows of a captured layer, gathered (ForwardPass).
  var gather: [Float]
  let byteCount: Int

  private var allocations: [UnsafeMutableRawPointer] = []

  init(config c: ModelConfig, weights: ModelWeights, maxTokens: Int, capacity: Int, logitRows: Int) {
    self.maxTokens = maxTokens
    self.logitRows = logitRows
    var total = 0
    var allocations: [UnsafeMutableRawPointer] = []
    func buffer(_ bytes: Int) -> UnsafeMutableRawPointer {
      let p = alignedAllocate(bytes)
      allocations.append(p)
      total += bytes
      return p
    }
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
      buffer(count * 4).bindMemory(to: Float.self, capacity: count)
    }
    x = floats(maxTokens * c.hiddenSize)
    xb = floats(maxTokens * c.hiddenSize)
    qkv = floats(maxTokens * (c.qDim + 2 * c.kvDim))
    att = floats(maxTokens * c.qDim)
    ffnTokens = min(maxTokens, RunState.ffnTokenLimit)
    gateUp = floats(ffnTokens * 2 * c.intermediateSize)
    cosSin = floats(maxTokens * c.headDim)
    logits = floats(logitRows * c.vocabularySize)
    var scratch = 0
    // the MLP's matrices see ffnTokens tokens at a time, the others the whole chunk
    let chunkMatrices = [weights.output] + weights.layers.flatMap { $0.qkv.parts + [$0.wo] }
    let mlpMatrices = weights.layers.flatMap { $0.gateUp.parts + [$0.down] }
    for (matrices, tokens) in [(chunkMatrices, maxTokens), (mlpMatrices, ffnTokens)] {
      for m in matrices {
        scratch = max(scratch, ssa_matmul_scratch_size(m.kernelType, Int64(m.cols), Int64(tokens)))
      }
    }
    // a prompt chunk's MLP may run fused (ssa_mlp), over the whole chunk
    for layer in weights.layers where layer.gateUp.isFused {
      let gateUp = layer.gateUp.parts[0]
      scratch = max(scratch, ssa_mlp_scratch_size(gateUp.kernelType, layer.down.kernelType, Int64(c.hiddenSize),
                                                  Int64(c.intermediateSize), Int64(maxTokens)))
    }
    matmulScratch = buffer(scratch)
    attentionScratchBytes = ssa_attention_scratch_size(Int64(capacity), Int64(maxTokens), Int32(c.kvHeadCount), Int32(c.headDim))
    attentionScratch = buffer(max(attentionScratchBytes, 64))
    gather = []
    byteCount = total
    self.allocations = allocations
  }

  static let ffnTokenLimit = 256

  deinit { for p in allocations { alignedFree(p) } }
}
