import CKernels

/// Rows of an input tensor, decoded to F32 on demand, or copied as they are when the output keeps the
/// stored type. `rows x cols` with rows contiguous (the GGML view of a matrix; a vector is one row).
protocol TensorSource {
  var rows: Int { get }
  var cols: Int { get }
  /// The stored type when it is a GGML type the output could keep byte for byte.
  var storedType: GGMLType? { get }
  func readF32(rows: Range<Int>, into buffer: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer) throws
  func readRaw(rows: Range<Int>, into buffer: UnsafeMutableRawPointer) throws
}

/// A tensor of a safetensors shard (F32, F16 or BF16).
struct SafetensorsSource: TensorSource {
  let file: SafetensorsFile
  let tensor: SafetensorsFile.Tensor
  let rows: Int
  let cols: Int

  init(file: SafetensorsFile, tensor: SafetensorsFile.Tensor) throws {
    guard ["F32", "F16", "BF16"].contains(tensor.dtype) else {
      throw CheckpointError.unsupportedDType(tensor: tensor.name, dtype: tensor.dtype)
    }
    self.file = file
    self.tensor = tensor
    cols = tensor.shape.last ?? 1
    rows = tensor.shape.dropLast().reduce(1, *)
  }

  var elementSize: Int { tensor.dtype == "F32" ? 4 : 2 }

  var storedType: GGMLType? {
    switch tensor.dtype {
    case "F32": return .f32
    case "F16": return .f16
    default: return .bf16
    }
  }

  func readRaw(rows range: Range<Int>, into buffer: UnsafeMutableRawPointer) throws {
    let rowBytes = cols * elementSize
    try file.read(tensor, offset: range.lowerBound * rowBytes, count: range.count * rowBytes, into: buffer)
  }

  func readF32(rows range: Range<Int>, into buffer: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer) throws {
    let n = range.count * cols
    switch tensor.dtype {
    case "F32":
      try readRaw(rows: range, into: UnsafeMutableRawPointer(buffer))
    case "F16":
      try readRaw(rows: range, into: scratch)
      ssa_fp16_to_fp32_rows(scratch.assumingMemoryBound(to: UInt16.self), buffer, Int64(n))
    default:
      try readRaw(rows: range, into: scratch)
      ssa_bf16_to_fp32_rows(scratch.assumingMemoryBound(to: UInt16.self), buffer, Int64(n))
    }
  }
}

/// A tensor of a GGUF file, of any type the kernels can dequantize.
struct GGUFSource: TensorSource {
  let file: GGUFFile
  let tensor: GGUFTensor
  var rows: Int { tensor.rowCount }
  var cols: Int { tensor.rowLength }
  var storedType: GGMLType? { tensor.type }

  var rowBytes: Int { tensor.type.byteCount(elements: cols)! }

  func readRaw(rows range: Range<Int>, into buffer: UnsafeMutableRawPointer) throws {
    let data = file.data(of: tensor)
    buffer.copyMemory(from: data.baseAddress! + range.lowerBound * rowBytes, byteCount: range.count * rowBytes)
  }

  func readF32(rows range: Range<Int>, into buffer: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer) throws {
    let data = file.data(of: tensor)
    ssa_dequantize_rows(
      Int32(tensor.type.rawValue), data.baseAddress! + range.lowerBound * rowBytes, rowBytes, buffer,
      Int64(range.count), Int64(cols))
  }
}
