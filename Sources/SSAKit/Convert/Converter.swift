import CKernels
import Foundation

/// What `ssa convert` writes.
public struct ConvertOptions: Sendable {
  /// Type of the weight matrices: F32, F16, BF16, Q8_0 or Q4_0. Norms and biases always stay F32.
  public var outputType: GGMLType = .q8_0
  /// Type of the output head (`output.weight`, or the token embedding of a tied model, which serves
  /// as the head); nil: the output type, except Q8_0 in a Q4_0 file, as llama-quantize does (the head
  /// is the matrix most sensitive to quantization).
  public var headType: GGMLType?
  /// Type of an untied token embedding (only rows are looked up, so its error matters less); nil: the
  /// output type, as llama-quantize does.
  public var embeddingType: GGMLType?
  /// The prompt format recorded as `ssa.prompt_format` (ssa, chat, answer); nil infers it.
  public var promptFormat: String?
  /// Choose each Q4_0 block's scale by a search minimising its error (default) instead of rounding.
  public var q4ScaleSearch = true
  /// The same for Q8_0 blocks (default; on the default model +0.09% perplexity over F16 by rounding,
  /// within noise of F16 by the search, for about 8x the conversion time).
  public var q8ScaleSearch = true
  /// `general.name`; nil keeps the input's or uses the folder name.
  public var name: String?

  public init() {}

  public static let outputTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0]
  public static let promptFormats = ["ssa", "chat", "answer"]
}

/// Progress of a conversion, one call per finished tensor.
public struct ConvertProgress: Sendable {
  public var index: Int
  public var count: Int
  public var name: String
  public var type: GGMLType
  public var shape: [Int]
  public var bytesWritten: Int
}

public struct ConvertSummary: Sendable {
  public var tensorCount: Int
  public var bytes: Int
  public var seconds: Double
  public var promptFormat: String
  public var promptFormatReason: String
}

/// Converts an HF checkpoint folder (safetensors) or any GGUF we can read into a GGUF file with
/// llama.cpp's tensor names and metadata keys, tensor by tensor in chunks of rows: memory stays at a
/// few chunk buffers, whatever the model size. Written under a temporary name and renamed into place
/// only when complete.
public final class Converter {
  struct Planned {
    var name: String
    var shape: [Int]  // GGML order
    var type: GGMLType
    var source: TensorSource
  }

  public let inputPath: String
  public let options: ConvertOptions
  private var metadata: [(key: String, value: GGUFValue)] = []
  private var plan: [Planned] = []
  private var promptFormat = "ssa"
  private var promptFormatReason = ""
  private let ggufInput: GGUFFile?
  /// The checkpoint's files, which the output must not replace (a GGUF input may be: the output is
  /// renamed over it while the input stays mapped).
  private var checkpointFiles: [String] = []

  public init(input: String, options: ConvertOptions) throws {
    guard ConvertOptions.outputTypes.contains(options.outputType) else {
      throw ConvertError.unsupportedOutputType(options.outputType.name)
    }
    for t in [options.embeddingType, options.headType].compactMap({ $0 }) where !ConvertOptions.outputTypes.contains(t) {
      throw ConvertError.unsupportedOutputType(t.name)
    }
    if let f = options.promptFormat, !ConvertOptions.promptFormats.contains(f) {
      throw ConvertError.badPromptFormat(f)
    }
    inputPath = input
    self.options = options
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
      throw CheckpointError.missingFile(input)
    }
    if isDirectory.boolValue {
      ggufInput = nil
      try planCheckpoint(HFCheckpoint(directory: input))
    } else {
      let gguf = try GGUFFile(path: input)
      ggufInput = gguf
      try planGGUF(gguf)
    }
  }

  /// The tensors to be written: name, GGML shape and output type.
  public var tensors: [GGUFWriter.TensorInfo] { plan.map { .init(name: $0.name, type: $0.type, shape: $0.shape) } }
  public var outputMetadata: [(key: String, value: GGUFValue)] { metadata }

  // MARK: - Planning

  /// Whether the token embedding is also the output head (no `output.weight`).
  private var tiedHead = false

  private func weightType(for name: String, rows: Int, cols: Int) -> GGMLType {
    let isHead = name == "output.weight" || (tiedHead && name == "token_embd.weight")
    var type = options.outputType
    if isHead {
      type = options.headType ?? (type == .q4_0 ? .q8_0 : type)
    } else if name == "token_embd.weight" {
      type = options.embeddingType ?? type
    }
    // Quantized rows need whole 32-blocks; a matrix that has none stays at F16.
    if (type == .q8_0 || type == .q4_0) && cols % 32 != 0 { type = .f16 }
    return type
  }

  private func planCheckpoint(_ checkpoint: HFCheckpoint) throws {
    let c = checkpoint.config
    func source(_ hfName: String, _ shape: [Int]) throws -> TensorSource {
      guard let entry = checkpoint.tensors[hfName] else { throw CheckpointError.missingTensor(hfName) }
      guard entry.tensor.shape == shape else {
        throw CheckpointError.wrongShape(tensor: hfName, expected: shape, found: entry.tensor.shape)
      }
      return try SafetensorsSource(file: entry.file, tensor: entry.tensor)
    }
    func matrix(_ ggufName: String, _ hfName: String, rows: Int, cols: Int) throws {
      let s = try source(hfName, [rows, cols])
      plan.append(Planned(name: ggufName, shape: [cols, rows], type: weightType(for: ggufName, rows: rows, cols: cols), source: s))
    }
    func vector(_ ggufName: String, _ hfName: String, _ n: Int) throws {
      plan.append(Planned(name: ggufName, shape: [n], type: .f32, source: try source(hfName, [n])))
    }
    let q = c.headCount * c.headDim, kv = c.kvHeadCount * c.headDim
    tiedHead = c.tieWordEmbeddings
    try matrix("token_embd.weight", "model.embed_tokens.weight", rows: c.vocabularySize, cols: c.hiddenSize)
    for i in 0..<c.layerCount {
      let hf = "model.layers.\(i).", g = "blk.\(i)."
      try vector(g + "attn_norm.weight", hf + "input_layernorm.weight", c.hiddenSize)
      try matrix(g + "attn_q.weight", hf + "self_attn.q_proj.weight", rows: q, cols: c.hiddenSize)
      try vector(g + "attn_q.bias", hf + "self_attn.q_proj.bias", q)
      try matrix(g + "attn_k.weight", hf + "self_attn.k_proj.weight", rows: kv, cols: c.hiddenSize)
      try vector(g + "attn_k.bias", hf + "self_attn.k_proj.bias", kv)
      try matrix(g + "attn_v.weight", hf + "self_attn.v_proj.weight", rows: kv, cols: c.hiddenSize)
      try vector(g + "attn_v.bias", hf + "self_attn.v_proj.bias", kv)
      try matrix(g + "attn_output.weight", hf + "self_attn.o_proj.weight", rows: c.hiddenSize, cols: q)
      try vector(g + "ffn_norm.weight", hf + "post_attention_layernorm.weight", c.hiddenSize)
      try matrix(g + "ffn_gate.weight", hf + "mlp.gate_proj.weight", rows: c.intermediateSize, cols: c.hiddenSize)
      try matrix(g + "ffn_up.weight", hf + "mlp.up_proj.weight", rows: c.intermediateSize, cols: c.hiddenSize)
      try matrix(g + "ffn_down.weight", hf + "mlp.down_proj.weight", rows: c.hiddenSize, cols: c.intermediateSize)
    }
    try vector("output_norm.weight", "model.norm.weight", c.hiddenSize)
    // Tied checkpoints reuse the embedding as the head (llama.cpp then omits output.weight); some
    // save a copy as lm_head.weight anyway, which is ignored.
    if !c.tieWordEmbeddings {
      try matrix("output.weight", "lm_head.weight", rows: c.vocabularySize, cols: c.hiddenSize)
    }

    // The tokenizer pads its token list to config.json's vocab_size with [PAD<id>] entries, as
    // convert_hf_to_gguf.py does.
    let tokenizer = try TokenizerData(huggingFaceDirectory: checkpoint.directory)
    // Built as the runtime builds it, so that a vocabulary or merge it refuses fails here, before
    // the conversion (the written file is checked again as a whole).
    do {
      _ = try Tokenizer(data: tokenizer)
    } catch let error as TokenizerError {
      let files = FileManager.default.fileExists(atPath: checkpoint.directory + "/tokenizer.json")
        ? "tokenizer.json" : "vocab.json, merges.txt"
      throw ConvertError.notLoadable(input: checkpoint.directory, reason: "\(error) (\(files))")
    }
    let names = ["config.json", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
                 "merges.txt"]
    checkpointFiles = names.map { checkpoint.directory + "/" + $0 } + checkpoint.shards.map(\.path)
    let folderName = URL(fileURLWithPath: checkpoint.directory).standardizedFileURL.lastPathComponent
    let name = options.name ?? folderName
    (promptFormat, promptFormatReason) = inferPromptFormat(
      recorded: nil, names: [name, c.nameOrPath ?? ""], hasChatTemplate: tokenizer.chatTemplate != nil)
    metadata = [
      ("general.architecture", .string("qwen2")),
      ("general.type", .string("model")),
      ("general.name", .string(name)),
      ("general.size_label", .string(Converter.sizeLabel(plan.reduce(0) { $0 + $1.shape.reduce(1, *) }))),
      ("qwen2.block_count", .uint32(UInt32(c.layerCount))),
      ("qwen2.context_length", .uint32(UInt32(c.contextLength))),
      ("qwen2.embedding_length", .uint32(UInt32(c.hiddenSize))),
      ("qwen2.feed_forward_length", .uint32(UInt32(c.intermediateSize))),
      ("qwen2.attention.head_count", .uint32(UInt32(c.headCount))),
      ("qwen2.attention.head_count_kv", .uint32(UInt32(c.kvHeadCount))),
      ("qwen2.rope.freq_base", .float32(Float(c.ropeTheta))),
      ("qwen2.attention.layer_norm_rms_epsilon", .float32(Float(c.rmsEpsilon))),
    ]
    // The runtime takes the head size as hidden / heads unless key_length says otherwise.
    if c.headDim * c.headCount != c.hiddenSize {
      metadata.append(("qwen2.attention.key_length", .uint32(UInt32(c.headDim))))
      metadata.append(("qwen2.attention.value_length", .uint32(UInt32(c.headDim))))
    }
    // In the order llama.cpp's convert_hf_to_gguf.py writes them; our own key last.
    metadata.append(("general.file_type", .uint32(fileType)))
    metadata.append(("general.quantization_version", .uint32(2)))
    metadata += tokenizer.ggufMetadata()
    metadata.append(("ssa.prompt_format", .string(promptFormat)))
  }

  /// llama.cpp's size label (gguf-py `model_weight_count_rounded_notation`): "494M", "1.5B", "107K".
  static func sizeLabel(_ count: Int) -> String {
    let n = Double(count)
    let (scaled, suffix): (Double, String) =
      n > 1e12 ? (n * 1e-12, "T") : n > 1e9 ? (n * 1e-9, "B") : n > 1e6 ? (n * 1e-6, "M") : (n * 1e-3, "K")
    // Python's round() is half-to-even; the digit count of the rounded value sets the decimals.
    let digits = String(Int(scaled.rounded(.toNearestOrEven))).drop(while: { $0 == "0" }).count
    let decimals = max(2 - digits, 0)
    return String(format: "%.\(decimals)f", scaled) + suffix
  }

  private func planGGUF(_ gguf: GGUFFile) throws {
    guard gguf.architecture == "qwen2" else {
      throw CheckpointError.unknownArchitecture(gguf.architecture ?? "(no general.architecture)")
    }
    // The tensors keep their names and shapes and the metadata passes through: an input the runtime
    // refuses gives an output it refuses.
    try Converter.checkLoadable(gguf, input: gguf.path)
    tiedHead = gguf.tensor(named: "output.weight") == nil
    for t in gguf.tensors {
      guard ssa_can_dequantize(Int32(t.type.rawValue)) != 0 else {
        throw ConvertError.unsupportedTensorType(tensor: t.name, type: t.type.name)
      }
      let isMatrix = t.shape.count >= 2 && t.name.hasSuffix(".weight")
      let type = isMatrix ? weightType(for: t.name, rows: t.rowCount, cols: t.rowLength) : .f32
      plan.append(Planned(name: t.name, shape: t.shape, type: type, source: GGUFSource(file: gguf, tensor: t)))
    }
    let name = options.name ?? gguf["general.name"]?.string ?? URL(fileURLWithPath: gguf.path).lastPathComponent
    (promptFormat, promptFormatReason) = inferPromptFormat(
      recorded: gguf["ssa.prompt_format"]?.string, names: [name, gguf.path],
      hasChatTemplate: gguf["tokenizer.chat_template"] != nil)
    let replaced: Set<String> = ["general.file_type", "general.quantization_version", "general.alignment",
                                 "general.name", "ssa.prompt_format"]
    for entry in gguf.metadata where !replaced.contains(entry.key) {
      metadata.append(entry)
      if entry.key == "general.architecture" { metadata.append(("general.name", .string(name))) }
    }
    metadata.append(("general.file_type", .uint32(fileType)))
    metadata.append(("general.quantization_version", .uint32(2)))
    metadata.append(("ssa.prompt_format", .string(promptFormat)))
  }

  /// llama.cpp's `general.file_type` (enum llama_ftype) for the output type.
  private var fileType: UInt32 {
    switch options.outputType {
    case .f32: return 0
    case .f16: return 1
    case .q4_0: return 2
    case .q8_0: return 7
    default: return 32  // BF16
    }
  }

  /// The flag wins; then a format already recorded in the input; then the names: an instruct or chat
  /// model gets `chat`, anything else is taken for a trained SSA checkpoint (`ssa`).
  private func inferPromptFormat(recorded: String?, names: [String], hasChatTemplate: Bool) -> (String, String) {
    if let f = options.promptFormat { return (f, "--prompt-format") }
    if let recorded, ConvertOptions.promptFormats.contains(recorded) { return (recorded, "recorded in the input") }
    let text = names.joined(separator: " ").lowercased()
    if text.contains("instruct") || text.contains("-chat") {
      return ("chat", "the model's name says instruct/chat")
    }
    return ("ssa", "no instruct/chat model name; taken for a trained SSA checkpoint")
  }

  /// `LoadCheck` on `file`, its errors reported as `input` not being loadable.
  private static func checkLoadable(_ file: GGUFFile, input: String) throws {
    do {
      try LoadCheck.check(file)
    } catch let error as ModelError {
      throw ConvertError.notLoadable(input: input, reason: error.description)
    } catch let error as TokenizerError {
      throw ConvertError.notLoadable(input: input, reason: error.description)
    }
  }

  // MARK: - Writing

  /// Refuses an output path that cannot name the file to write: empty, a directory, or a file of the
  /// checkpoint being converted. The rename replaces the entry the path names (a symlink itself, not
  /// its target), so that entry is compared, by device and inode, with each checkpoint file and with
  /// what the file resolves to (a checkpoint of symlinks into a cache).
  public func checkOutput(_ output: String) throws {
    guard !output.isEmpty else { throw ConvertError.emptyOutputPath }
    var entry = stat(), target = stat()
    guard lstat(output, &entry) == 0 else { return }  // nothing there yet
    if stat(output, &target) == 0, (target.st_mode & S_IFMT) == S_IFDIR { throw ConvertError.outputIsDirectory(output) }
    func same(_ a: stat, _ b: stat) -> Bool { a.st_dev == b.st_dev && a.st_ino == b.st_ino }
    for input in checkpointFiles {
      var file = stat(), link = stat()
      guard stat(input, &file) == 0, lstat(input, &link) == 0 else { continue }
      if same(entry, link) || same(entry, file) { throw ConvertError.outputIsInput(output: output, input: input) }
    }
  }

  /// Write the output file. `isCancelled` is polled between chunks (SIGINT); on cancel or any error the
  /// temporary file is removed and nothing is left under `output`. The finished file is checked as
  /// the runtime loads it before it is renamed into place.
  @discardableResult
  public func write(to output: String, progress: (ConvertProgress) -> Void = { _ in },
                    isCancelled: () -> Bool = { false }) throws -> ConvertSummary {
    try checkOutput(output)
    let start = Date()
    let writer = try GGUFWriter(path: output, metadata: metadata, tensors: tensors)
    // Chunks of about 4M values: 16 MB of F32, whatever the tensor.
    let chunkValues = 4 << 20
    let maxCols = plan.map { $0.source.cols }.max() ?? 1
    let chunkCapacity = max(chunkValues, maxCols)
    let f32 = UnsafeMutablePointer<Float>.allocate(capacity: chunkCapacity)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunkCapacity * 4, alignment: 64)
    let out = UnsafeMutableRawPointer.allocate(byteCount: chunkCapacity * 4, alignment: 64)
    defer {
      f32.deallocate()
      scratch.deallocate()
      out.deallocate()
    }
    var written = 0
    do {
      for (index, t) in plan.enumerated() {
        let s = t.source
        let rowsPerChunk = max(1, chunkValues / s.cols)
        let outRowBytes = t.type.byteCount(elements: s.cols)!
        var row = 0
        while row < s.rows {
          if isCancelled() { throw ConvertError.interrupted }
          let range = row..<min(s.rows, row + rowsPerChunk)
          if s.storedType == t.type {
            try s.readRaw(rows: range, into: out)
          } else {
            try s.readF32(rows: range, into: f32, scratch: scratch)
            let search = t.type == .q4_0 ? options.q4ScaleSearch : options.q8ScaleSearch
            ssa_quantize_rows(Int32(t.type.rawValue), f32, out, Int64(range.count), Int64(s.cols), search ? 1 : 0)
          }
          try writer.appendTensorData(UnsafeRawBufferPointer(start: out, count: range.count * outRowBytes))
          row = range.upperBound
        }
        if let source = s as? GGUFSource { ggufInput?.release(source.tensor) }
        written += s.rows * outRowBytes
        progress(ConvertProgress(index: index + 1, count: plan.count, name: t.name, type: t.type, shape: t.shape,
                                 bytesWritten: written))
      }
      try Converter.checkLoadable(GGUFFile(path: writer.temporaryPath), input: inputPath)
      if isCancelled() { throw ConvertError.interrupted }
      try writer.finish()
    } catch {
      writer.abort()
      throw error
    }
    return ConvertSummary(
      tensorCount: plan.count, bytes: written, seconds: Date().timeIntervalSince(start), promptFormat: promptFormat,
      promptFormatReason: promptFormatReason)
  }
}
