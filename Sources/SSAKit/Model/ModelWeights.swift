import CKernels

/// A weight matrix as the kernels take it: `rows` rows of `cols` elements of `type`, `y = W x` maps
/// `cols` inputs to `rows` outputs. `kernelType` is what `ssa_matmul` is told: the GGML type, or a
/// repacked layout of it (the same bytes, 8 rows interleaved per block) chosen at load.
public struct WeightMatrix: @unchecked Sendable {
  public let type: GGMLType
  public let kernelType: Int32
  public let data: UnsafeRawPointer
  public let rows: Int
  public let cols: Int
  public var rowBytes: Int { type.byteCount(elements: cols)! }
}

/// How weights are held in memory.
public enum WeightPrecision: String, Sendable, CaseIterable {
  /// Types the matmul kernels run (F32, F16, BF16, Q8_0, Q4_0) are used in place from the mapping;
  /// any other quantized type is requantized to Q8_0 once at load.
  case native
  /// Every matrix dequantized to F32 (reference precision, four bytes a weight).
  case f32
}

/// The weights of a Qwen2 model: views into the GGUF mapping wherever the stored type can be used as
/// it is, and owned buffers (freed with this object) where a tensor had to be converted at load.
public final class ModelWeights: @unchecked Sendable {
  public struct Layer: @unchecked Sendable {
    public let attnNorm: UnsafePointer<Float>      // [hidden]
    public let qkv: Projection                      // [(qDim + 2 kvDim) x hidden]: Q, K, V rows
    public let qkvBias: UnsafePointer<Float>       // [qDim + 2 kvDim]
    public let wo: WeightMatrix                     // [hidden x qDim]
    public let ffnNorm: UnsafePointer<Float>       // [hidden]
    public let gateUp: Projection                   // [2 ffn x hidden]: gate rows, then up rows
    public let down: WeightMatrix                   // [hidden x ffn]
  }

  /// Matrices that read the same input, stacked by rows: one matmul when they could be fused into
  /// one buffer at load (same type), else one per part writing side by side into the same output.
  public struct Projection: @unchecked Sendable {
    public let parts: [WeightMatrix]
    public var rows: Int { parts.reduce(0) { $0 + $1.rows } }
    public var isFused: Bool { parts.count == 1 }
  }

  public let file: GGUFFile
  public let config: ModelConfig
  public let precision: WeightPrecision
  /// Token embedding table [vocab x hidden] in the file's type; rows are decoded on lookup.
  public let tokenEmbedding: WeightMatrix
  private let embeddingTensor: GGUFTensor
  public let layers: [Layer]
  public let outputNorm: UnsafePointer<Float>     // [hidden]
  /// The output head [vocab x hidden]: `output.weight`, or the embedding when tied.
  public let output: WeightMatrix
  public let tiedOutput: Bool
  /// Bytes of buffers this object allocated (conversions), beyond the mapping.
  public private(set) var ownedBytes = 0

  private var owned: [UnsafeMutableRawPointer] = []

  static let kernelTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q8_0, .q4_0]

  public init(file: GGUFFile, config: ModelConfig, precision: WeightPrecision = .native) throws {
    self.file = file
    self.config = config
    self.precision = precision
    let c = config
    var layers: [Layer] = []
    // `self` is not fully initialised yet, so conversions go through a local loader that owns the
    // allocations until they are handed over below.
    // Large buffers (weights, and the per-slice temporaries of conversions, freed while loading):
    // serve each from its own mapping so freed memory goes back to the system, not to the heap.
    ssa_limit_heap_growth()
    let loader = Loader(file: file, precision: precision)
    let embedding = try loader.tensor("token_embd.weight", shape: [c.hiddenSize, c.vocabularySize])
    guard ssa_can_dequantize(Int32(embedding.type.rawValue)) != 0 else {
      throw ModelError.unsupportedTensorType(tensor: embedding.name, type: embedding.type.name)
    }
    // Looked up a row at a time, read from the file (only the rows of tokens seen), even when the
    // same tensor is also the (repacked) output head.
    embeddingTensor = embedding
    tokenEmbedding = WeightMatrix(
      type: embedding.type, kernelType: Int32(embedding.type.rawValue), data: file.data(of: embedding).baseAddress!,
      rows: c.vocabularySize, cols: c.hiddenSize)
    for i in 0..<c.layerCount {
      let p = "blk.\(i)."
      layers.append(Layer(
        attnNorm: try loader.vector(p + "attn_norm.weight", c.hiddenSize),
        qkv: try loader.projection(
          [(p + "attn_q.weight", c.qDim), (p + "attn_k.weight", c.kvDim), (p + "attn_v.weight", c.kvDim)],
          cols: c.hiddenSize),
        qkvBias: try loader.vectors(
          [(p + "attn_q.bias", c.qDim), (p + "attn_k.bias", c.kvDim), (p + "attn_v.bias", c.kvDim)]),
        wo: try loader.matrix(p + "attn_output.weight", rows: c.hiddenSize, cols: c.qDim),
        ffnNorm: try loader.vector(p + "ffn_norm.weight", c.hiddenSize),
        gateUp: try loader.projection(
          [(p + "ffn_gate.weight", c.intermediateSize), (p + "ffn_up.weight", c.intermediateSize)],
          cols: c.hiddenSize),
        down: try loader.matrix(p + "ffn_down.weight", rows: c.hiddenSize, cols: c.intermediateSize)))
    }
    self.layers = layers
    outputNorm = try loader.vector("output_norm.weight", c.hiddenSize)
    if file.tensor(named: "output.weight") != nil {
      output = try loader.matrix("output.weight", rows: c.vocabularySize, cols: c.hiddenSize)
      tiedOutput = false
    } else {
      output = try loader.matrix("token_embd.weight", rows: c.vocabularySize, cols: c.hiddenSize)
      tiedOutput = true
    }
    owned = loader.owned
    ownedBytes = loader.ownedBytes
    loader.owned = []
    // Each slice's pages were released as it was copied, but the kernel maps pages around a fault
    // (fault-around; on Linux 6.18 the whole large folio, up to 2 MiB) and some came back with the next
    // slice or a neighbouring vector: 37 MB of the Q4_0 model with 4 KiB folios, 100 MB with large ones.
    // Drop the whole mapping from this process once loading is done: what runs from it in place
    // (unconverted matrices) is faulted in again as it is used, nothing else is read from it (vectors
    // are copied, embedding rows read with pread).
    file.releaseAll()
  }

  deinit {
    for p in owned { alignedFree(p) }
  }

  /// Write the embedding of `token` (decoded to F32) into `out[0..<hidden]`.
  @inline(__always)
  public func embed(_ token: Int, into out: UnsafeMutablePointer<Float>) {
    let bytes = tokenEmbedding.rowBytes
    withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 64) { row in
      // Read, not touched in the mapping: a fault would map up to 2 MiB of the table around the row.
      let source: UnsafeRawPointer
      if file.read(embeddingTensor, offset: token * bytes, count: bytes, into: row.baseAddress!) {
        source = UnsafeRawPointer(row.baseAddress!)
      } else {
        source = tokenEmbedding.data + token * bytes
      }
      ssa_dequantize_row(Int32(tokenEmbedding.type.rawValue), source, out, Int64(tokenEmbedding.cols))
    }
  }

  /// Resolves tensors by name, checks shapes, and converts types the kernels cannot run.
  private final class Loader {
    let file: GGUFFile
    let precision: WeightPrecision
    var owned: [UnsafeMutableRawPointer] = []
    var ownedBytes = 0

    init(file: GGUFFile, precision: WeightPrecision) {
      self.file = file
      self.precision = precision
    }

    deinit { for p in owned { alignedFree(p) } }

    func tensor(_ name: String, shape: [Int]) throws -> GGUFTensor {
      try ModelWeights.resolve(name, shape: shape, in: file)
    }

    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
      let p = alignedAllocate(bytes)
      owned.append(p)
      ownedBytes += bytes
      return p
    }

    /// A vector in F32 (norm weights and biases), always copied: read in place, each use would map
    /// the file's pages around it again.
    func vector(_ name: String, _ count: Int) throws -> UnsafePointer<Float> {
      let out = allocate(count * 4).assumingMemoryBound(to: Float.self)
      try decode(name, count, into: out)
      return UnsafePointer(out)
    }

    /// Several vectors concatenated into one owned F32 buffer (the Q, K and V biases).
    func vectors(_ parts: [(name: String, count: Int)]) throws -> UnsafePointer<Float> {
      let out = allocate(parts.reduce(0) { $0 + $1.count } * 4).assumingMemoryBound(to: Float.self)
      var offset = 0
      for part in parts {
        try decode(part.name, part.count, into: out + offset)
        offset += part.count
      }
      return UnsafePointer(out)
    }

    private func decode(_ name: String, _ count: Int, into out: UnsafeMutablePointer<Float>) throws {
      let t = try tensor(name, shape: [count])
      ssa_dequantize_row(Int32(t.type.rawValue), file.data(of: t).baseAddress!, out, Int64(count))
    }

    /// Matrices with the same input, fused into one (rows stacked, then repacked) when their types
    /// agree after conversion, so a layer runs one matmul for Q, K and V and one for gate and up.
    func projection(_ parts: [(name: String, rows: Int)], cols: Int) throws -> Projection {
      let tensors = try parts.map { try tensor($0.name, shape: [cols, $0.rows]) }
      let types = try tensors.map { try storageType($0, cols: cols) }
      guard precision == .native, Set(types).count == 1 else {
        return Projection(parts: try parts.map { try matrix($0.name, rows: $0.rows, cols: cols) })
      }
      let type = types[0]
      let rows = parts.reduce(0) { $0 + $1.rows }
      let rowBytes = type.byteCount(elements: cols)!
      let plainType = Int32(type.rawValue)
      let target = ssa_repack_type(plainType, Int64(rows), Int64(cols))
      // The repacked layout is row-group-major (8 or 16 rows a group), so repacking each part into its
      // slice of the output equals repacking the stacked matrix, with no stacked copy in between.
      let partwise = target != plainType
        && parts.allSatisfy { ssa_repack_type(plainType, Int64($0.rows), Int64(cols)) == target }
      let fused = allocate(rows * rowBytes)
      var offset = 0
      for (part, t) in zip(parts, tensors) {
        fill(fused + offset, from: t, rows: part.rows, cols: cols, type: type, repack: partwise ? target : nil)
        offset += part.rows * rowBytes
      }
      return Projection(parts: [WeightMatrix(
        type: type, kernelType: partwise ? target : plainType, data: fused, rows: rows, cols: cols)])
    }

    /// A matrix the kernels can multiply by: in place from the mapping when the stored type is one
    /// they take (at native precision) and no repacking pays, else converted and/or repacked by `fill`.
    func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
      let t = try tensor(name, shape: [cols, rows])
      let type = try storageType(t, cols: cols)
      let plainType = Int32(type.rawValue)
      let kernelType = precision == .native ? ssa_repack_type(plainType, Int64(rows), Int64(cols)) : plainType
      guard type != t.type || kernelType != plainType else {
        return WeightMatrix(type: type, kernelType: kernelType, data: file.data(of: t).baseAddress!, rows: rows, cols: cols)
      }
      let out = allocate(rows * type.byteCount(elements: cols)!)
      fill(out, from: t, rows: rows, cols: cols, type: type, repack: kernelType != plainType ? kernelType : nil)
      return WeightMatrix(type: type, kernelType: kernelType, data: out, rows: rows, cols: cols)
    }

    /// The type a stored tensor is multiplied in: its own when the kernels take it (at native
    /// precision), else Q8_0 (F32 at reference precision).
    func storageType(_ t: GGUFTensor, cols: Int) throws -> GGMLType {
      let target: GGMLType
      switch precision {
      case .f32: target = .f32
      case .native: target = ModelWeights.kernelTypes.contains(t.type) ? t.type : .q8_0
      }
      guard target == t.type || target == .f32 || cols % 32 == 0 else {
        throw ModelError.unsupportedTensorType(tensor: t.name, type: t.type.name + " with rows not a multiple of 32")
      }
      return target
    }

    /// Writes tensor `t` into `dst` in `type` (converted through F32 when stored otherwise), in the
    /// repacked layout `repack` when given, slice by slice, each slice's pages of the mapping released as
    /// soon as it is done. So the file's copy and ours never coexist beyond a slice: for the 150 MB
    /// output head that is what sets the peak RSS.
    func fill(_ dst: UnsafeMutableRawPointer, from t: GGUFTensor, rows: Int, cols: Int, type: GGMLType, repack: Int32?) {
      let source = file.data(of: t).baseAddress!
      let inType = Int32(t.type.rawValue), outType = Int32(type.rawValue)
      let inRowBytes = t.type.byteCount(elements: cols)!, outRowBytes = type.byteCount(elements: cols)!
      let convert = type != t.type
      // About 1 MiB of the file per slice, in whole groups of 16 rows (a repacked layout's unit is 8
      // or 16 rows).
      let sliceRows = max(16, (1 << 20) / max(inRowBytes, 1) / 16 * 16)
      let converted = convert && repack != nil ? UnsafeMutableRawPointer.allocate(byteCount: sliceRows * outRowBytes, alignment: 64) : nil
      let floats = convert && type != .f32 ? UnsafeMutablePointer<Float>.allocate(capacity: sliceRows * cols) : nil
      defer {
        converted?.deallocate()
        floats?.deallocate()
      }
      var r = 0
      while r < rows {
        let n = min(sliceRows, rows - r)
        let input = source + r * inRowBytes, output = dst + r * outRowBytes
        if convert {
          let plain = converted ?? output
          if let floats {
            ssa_dequantize_rows(inType, input, inRowBytes, floats, Int64(n), Int64(cols))
            ssa_quantize_rows(outType, floats, plain, Int64(n), Int64(cols), 0)
          } else {
            ssa_dequantize_rows(inType, input, inRowBytes, plain.assumingMemoryBound(to: Float.self), Int64(n), Int64(cols))
          }
          if let repack { ssa_repack(repack, plain, Int64(n), Int64(cols), output) }
        } else if let repack {
          ssa_repack(repack, input, Int64(n), Int64(cols), output)
        } else {
          output.copyMemory(from: input, byteCount: n * inRowBytes)
        }
        file.release(t, offset: r * inRowBytes, count: n * inRowBytes)
        r += n
      }
    }
  }
}

extension ModelWeights {
  /// The tensor `name` of `file`, which must have `shape` (GGML order) and a type the runtime decodes;
  /// the converter's load check (`LoadCheck`) applies the same rule without loading.
  static func resolve(_ name: String, shape: [Int], in file: GGUFFile) throws -> GGUFTensor {
    guard let t = file.tensor(named: name) else { throw ModelError.missingTensor(name) }
    // GGUF may store a vector as [n] or [n, 1]; trailing ones do not change the layout.
    var found = t.shape
    while found.count > shape.count, found.last == 1 { found.removeLast() }
    guard found == shape else { throw ModelError.wrongShape(tensor: name, expected: shape, found: t.shape) }
    guard ssa_can_dequantize(Int32(t.type.rawValue)) != 0 else {
      throw ModelError.unsupportedTensorType(tensor: name, type: t.type.name)
    }
    return t
  }
}
