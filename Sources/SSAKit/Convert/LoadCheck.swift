import CKernels

/// What the runtime checks when it loads a GGUF file (`Qwen2Model`, `Tokenizer(gguf:)`), run by the
/// converter on its input and on its output before that is moved into place, so that `ssa convert`
/// never writes a file the other commands refuse. Errors are the runtime's own (`ModelError`,
/// `TokenizerError`).
enum LoadCheck {
  static func check(_ file: GGUFFile) throws {
    let config = try ModelConfig(gguf: file)
    try checkTensors(file, config)
    _ = try Tokenizer(gguf: file)
  }

  /// The tensors `ModelWeights` resolves, with its shape and type rules (`Loader.tensor`, `storageType`),
  /// without loading them: ModelWeights copies and repacks the matrices, a model's size of memory.
  static func checkTensors(_ file: GGUFFile, _ c: ModelConfig) throws {
    func tensor(_ name: String, _ shape: [Int]) throws -> GGUFTensor {
      try ModelWeights.resolve(name, shape: shape, in: file)
    }
    func vector(_ name: String, _ count: Int) throws { _ = try tensor(name, [count]) }
    func matrix(_ name: String, rows: Int, cols: Int) throws {
      let t = try tensor(name, [cols, rows])
      // At native precision a type the kernels do not take is requantized to Q8_0 (32-blocks).
      guard ModelWeights.kernelTypes.contains(t.type) || cols % 32 == 0 else {
        throw ModelError.unsupportedTensorType(tensor: name, type: t.type.name + " with rows not a multiple of 32")
      }
    }

    _ = try tensor("token_embd.weight", [c.hiddenSize, c.vocabularySize])
    for i in 0..<c.layerCount {
      let p = "blk.\(i)."
      try vector(p + "attn_norm.weight", c.hiddenSize)
      try matrix(p + "attn_q.weight", rows: c.qDim, cols: c.hiddenSize)
      try matrix(p + "attn_k.weight", rows: c.kvDim, cols: c.hiddenSize)
      try matrix(p + "attn_v.weight", rows: c.kvDim, cols: c.hiddenSize)
      try vector(p + "attn_q.bias", c.qDim)
      try vector(p + "attn_k.bias", c.kvDim)
      try vector(p + "attn_v.bias", c.kvDim)
      try matrix(p + "attn_output.weight", rows: c.hiddenSize, cols: c.qDim)
      try vector(p + "ffn_norm.weight", c.hiddenSize)
      try matrix(p + "ffn_gate.weight", rows: c.intermediateSize, cols: c.hiddenSize)
      try matrix(p + "ffn_up.weight", rows: c.intermediateSize, cols: c.hiddenSize)
      try matrix(p + "ffn_down.weight", rows: c.hiddenSize, cols: c.intermediateSize)
    }
    try vector("output_norm.weight", c.hiddenSize)
    // The head: output.weight, else the embedding (tied).
    let head = file.tensor(named: "output.weight") != nil ? "output.weight" : "token_embd.weight"
    try matrix(head, rows: c.vocabularySize, cols: c.hiddenSize)
  }
}
