/// A tensor of a GGUF file: its info from the header and where its bytes sit in the mapping.
public struct GGUFTensor: Sendable, Equatable {
  public let name: String
  public let type: GGMLType
  /// Dimensions in GGML order: `shape[0]` is the contiguous (row) length.
  public let shape: [Int]
  /// Offset of the data relative to the start of the data section, as stored in the file.
  public let dataOffset: UInt64
  /// Absolute offset of the data in the file.
  public let fileOffset: Int
  public let byteCount: Int

  public var elementCount: Int { shape.reduce(1, *) }
  /// Elements per row (`ne[0]`) and number of rows (the product of the other dimensions).
  public var rowLength: Int { shape.first ?? 1 }
  public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}

/// A GGUF file (version 3, also 2) read from a memory mapping. Metadata is parsed eagerly; tensor data
/// stays in the mapping and is handed out as views with no copy. Every count, offset and size is checked
/// against the file length with overflow-safe arithmetic.
public final class GGUFFile: @unchecked Sendable {
  public static let magic: [UInt8] = Array("GGUF".utf8)
  public static let defaultAlignment = 32

  public let path: String
  public let version: UInt32
  /// Metadata in file order.
  public let metadata: [(key: String, value: GGUFValue)]
  public let tensors: [GGUFTensor]
  public let alignment: Int
  /// Absolute offset of the data section.
  public let dataOffset: Int
  public var fileSize: Int { storage.count }

  private let mapping: MappedFile?
  private let storage: UnsafeRawBufferPointer
  private let keyIndex: [String: Int]
  private let tensorIndex: [String: Int]

  /// Map and parse the file at `path`.
  public convenience init(path: String) throws {
    let mapping: MappedFile
    do {
      mapping = try MappedFile(path: path)
    } catch let failure as MappedFile.Failure {
      throw GGUFError.cannotOpen(path: path, reason: failure.reason)
    }
    do {
      try self.init(mapping: mapping, bytes: mapping.bytes, path: path)
    } catch let error as GGUFError {
      throw GGUFError.inFile(path: path, error)
    }
  }

  /// Parse GGUF bytes held by the caller; the buffer must outlive this object. Errors name `path`.
  public convenience init(bytes: UnsafeRawBufferPointer, path: String = "<memory>") throws {
    do {
      try self.init(mapping: nil, bytes: bytes, path: path)
    } catch let error as GGUFError {
      throw GGUFError.inFile(path: path, error)
    }
  }

  private init(mapping: MappedFile?, bytes: UnsafeRawBufferPointer, path: String) throws {
    self.mapping = mapping
    self.storage = bytes
    self.path = path
    var r = ByteReader(bytes)

    let magic = (0..<min(4, bytes.count)).map { bytes[$0] }
    guard magic == GGUFFile.magic else {
      if magic.count < 4 { throw GGUFError.truncated(at: bytes.count, reading: "magic") }
      throw GGUFError.badMagic(found: magic)
    }
    _ = try r.u32("magic")
    version = try r.u32("version")
    guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }

    let tensorCountAt = r.offset
    let tensorCount = try r.u64("tensor count")
    let kvCountAt = r.offset
    let kvCount = try r.u64("metadata count")
    // Smallest encodings: a key-value pair is 8 (key length) + 4 (type) + 1 bytes, a tensor info
    // 8 + 4 + 4 + 8 bytes; an absurd count is rejected up front, before anything is reserved for it.
    let kvCapacity = try r.checkCount(kvCount, minSize: 13, "metadata count", at: kvCountAt)
    let tensorCapacity = try r.checkCount(tensorCount, minSize: 24, "tensor count", at: tensorCountAt)

    var metadata: [(key: String, value: GGUFValue)] = []
    var keyIndex: [String: Int] = [:]
    metadata.reserveCapacity(kvCapacity)
    for i in 0..<Int(kvCount) {
      let key = try r.string("the key of metadata entry \(i + 1) of \(kvCount)")
      let rawType = try r.u32("the type of \"\(key)\"")
      guard let type = GGUFValueType(rawValue: rawType) else {
        throw GGUFError.unknownValueType(rawType, key: key)
      }
      let value = try GGUFFile.readValue(type, key: key, depth: 0, &r) { "the value of \"\(key)\"" }
      guard keyIndex[key] == nil else { throw GGUFError.duplicateKey(key) }
      keyIndex[key] = metadata.count
      metadata.append((key, value))
    }

    var alignment = GGUFFile.defaultAlignment
    if let i = keyIndex["general.alignment"] {
      let value = metadata[i].value
      guard case .uint32(let a) = value, a > 0, a <= 65536, a & (a - 1) == 0 else {
        throw GGUFError.badAlignment("\(value)")
      }
      alignment = Int(a)
    }

    var infos: [(name: String, type: GGMLType, shape: [Int], offset: UInt64, bytes: Int)] = []
    var tensorIndex: [String: Int] = [:]
    infos.reserveCapacity(tensorCapacity)
    for i in 0..<Int(tensorCount) {
      // Which tensor info a truncated file cuts, for the error.
      func info(_ field: String, _ name: String? = nil) -> String {
        "the \(field) of tensor info \(i + 1) of \(tensorCount)" + (name.map { " (\"\($0)\")" } ?? "")
      }
      let name = try r.string(info("name"))
      let dimsAt = r.offset
      let nDims = try r.u32(info("dimension count", name))
      guard nDims >= 1, nDims <= 4 else {
        throw GGUFError.badTensorShape(
          tensor: name, reason: "\(nDims) dimensions (at byte \(dimsAt)); a tensor has 1 to 4")
      }
      var shape: [Int] = []
      var elements = 1
      for d in 0..<Int(nDims) {
        let dimAt = r.offset
        let dim = try r.u64(info("dimension \(d)", name))
        guard dim > 0, dim <= UInt64(Int32.max) else {
          throw GGUFError.badTensorShape(tensor: name, reason: "dimension \(d) is \(dim) (at byte \(dimAt))")
        }
        let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
        guard !overflow, product <= Int(Int64.max / 8) else {
          throw GGUFError.badTensorShape(tensor: name, reason: "element count overflows")
        }
        elements = product
        shape.append(Int(dim))
      }
      let rawType = try r.u32(info("type", name))
      guard let type = GGMLType(rawValue: rawType) else {
        throw GGUFError.unknownTensorType(rawType, tensor: name)
      }
      guard shape[0] % type.blockSize == 0, let bytes = type.byteCount(elements: elements) else {
        throw GGUFError.badTensorShape(
          tensor: name, reason: "row length \(shape[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
      }
      let offset = try r.u64(info("data offset", name))
      guard offset % UInt64(alignment) == 0 else {
        throw GGUFError.misalignedTensor(tensor: name, offset: offset, alignment: alignment)
      }
      guard tensorIndex[name] == nil else { throw GGUFError.duplicateTensor(name) }
      tensorIndex[name] = infos.count
      infos.append((name, type, shape, offset, bytes))
    }

    // The data section starts at the next multiple of the alignment after the tensor infos.
    let headerEnd = r.offset
    let dataStart = (headerEnd + alignment - 1) / alignment * alignment
    let dataBytes = UInt64(max(0, bytes.count - dataStart))
    if !infos.isEmpty && dataStart > bytes.count {
      throw GGUFError.truncated(at: bytes.count, reading: "data section (starts at byte \(dataStart))")
    }
    var tensors: [GGUFTensor] = []
    tensors.reserveCapacity(infos.count)
    for info in infos {
      let (end, overflow) = info.offset.addingReportingOverflow(UInt64(info.bytes))
      guard !overflow, end <= dataBytes else {
        throw GGUFError.tensorOutOfBounds(
          tensor: info.name, offset: info.offset, bytes: UInt64(info.bytes), dataBytes: dataBytes)
      }
      tensors.append(GGUFTensor(
        name: info.name, type: info.type, shape: info.shape, dataOffset: info.offset,
        fileOffset: dataStart + Int(info.offset), byteCount: info.bytes))
    }

    self.metadata = metadata
    self.keyIndex = keyIndex
    self.alignment = alignment
    self.dataOffset = dataStart
    self.tensors = tensors
    self.tensorIndex = tensorIndex
  }

  /// One value of `type`; `what` names it for errors (`the value of "k"`, `element 3 of 9 of ...`).
  private static func readValue(
    _ type: GGUFValueType, key: String, depth: Int, _ r: inout ByteReader, _ what: () -> String
  ) throws -> GGUFValue {
    switch type {
    case .uint8: return .uint8(try r.u8(what()))
    case .int8: return .int8(Int8(bitPattern: try r.u8(what())))
    case .uint16: return .uint16(try r.scalar(UInt16.self, what()))
    case .int16: return .int16(try r.scalar(Int16.self, what()))
    case .uint32: return .uint32(try r.u32(what()))
    case .int32: return .int32(try r.scalar(Int32.self, what()))
    case .float32: return .float32(try r.float32(what()))
    case .bool:
      let at = r.offset
      let b = try r.u8(what())
      guard b <= 1 else { throw GGUFError.badBool(what(), value: b, at: at) }
      return .bool(b == 1)
    case .string: return .string(try r.string(what()))
    case .uint64: return .uint64(try r.u64(what()))
    case .int64: return .int64(try r.scalar(Int64.self, what()))
    case .float64: return .float64(try r.float64(what()))
    case .array:
      let rawType = try r.u32("the element type of \(what())")
      guard let elementType = GGUFValueType(rawValue: rawType) else {
        throw GGUFError.unknownValueType(rawType, key: key)
      }
      // Nested arrays are legal in the format but never used; two levels is plenty.
      guard elementType != .array || depth < 2 else {
        throw GGUFError.unknownValueType(rawType, key: key + " (arrays nested too deep)")
      }
      let countAt = r.offset
      let count = try r.u64("the element count of \(what())")
      let minSize = elementType.fixedSize ?? (elementType == .string ? 8 : 12)
      let capacity = try r.checkCount(count, minSize: minSize, "array length of \"\(key)\"", at: countAt)
      func element(_ i: Int) -> String { "element \(i + 1) of \(count) of \(what())" }
      // Numbers and bools are kept as the file's bytes: one copy, as compact as the file.
      if let size = elementType.fixedSize {
        let bytes = try r.slice(Int(count) * size, "the \(count) \(elementType.name) elements of \(what())")
        if elementType == .bool, let bad = bytes.firstIndex(where: { $0 > 1 }) {
          throw GGUFError.badBool(element(bad), value: bytes[bad], at: r.offset - bytes.count + bad)
        }
        return .array(elementType, GGUFArray(storage: .packed(elementType, Array(bytes))))
      }
      if elementType == .string {
        var strings: [String] = []
        strings.reserveCapacity(capacity)
        for i in 0..<Int(count) { strings.append(try r.string(element(i))) }
        return .array(.string, GGUFArray(strings: strings))
      }
      var items: [GGUFValue] = []
      items.reserveCapacity(capacity)
      for i in 0..<Int(count) {
        items.append(try readValue(elementType, key: key, depth: depth + 1, &r) { element(i) })
      }
      return .array(elementType, GGUFArray(storage: .values(items)))
    }
  }

  // MARK: - Lookup

  public subscript(key: String) -> GGUFValue? {
    keyIndex[key].map { metadata[$0].value }
  }

  public func tensor(named name: String) -> GGUFTensor? {
    tensorIndex[name].map { tensors[$0] }
  }

  /// The bytes of a tensor, a view into the mapping (no copy). Valid while this object lives.
  public func data(of tensor: GGUFTensor) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: storage[tensor.fileOffset..<(tensor.fileOffset + tensor.byteCount)])
  }

  /// Tell the kernel a tensor's pages will not be needed again (a converter that has consumed it), so
  /// a streaming pass over a large file does not keep it all resident.
  public func release(_ tensor: GGUFTensor) { mapping?.dontNeed(offset: tensor.fileOffset, count: tensor.byteCount) }

  /// Release every page of the file from this process (re-read from the page cache if touched again).
  public func releaseAll() { mapping?.dontNeed(offset: 0, count: storage.count) }

  /// Release `count` bytes of a tensor's data from `offset` (a part already read).
  public func release(_ tensor: GGUFTensor, offset: Int, count: Int) {
    mapping?.dontNeed(offset: tensor.fileOffset + offset, count: min(count, tensor.byteCount - offset))
  }

  /// Copy `count` bytes of a tensor's data from `offset` into `dst`: read from the file when it is
  /// mapped (so nothing around them becomes resident), else copied from the caller's bytes.
  public func read(_ tensor: GGUFTensor, offset: Int, count: Int, into dst: UnsafeMutableRawPointer) -> Bool {
    guard offset >= 0, count >= 0, offset <= tensor.byteCount - count else { return false }
    if let mapping { return mapping.read(into: dst, offset: tensor.fileOffset + offset, count: count) }
    dst.copyMemory(from: storage.baseAddress! + tensor.fileOffset + offset, byteCount: count)
    return true
  }

  /// Ask the kernel to read the file ahead (the weights of a model about to run).
  public func prefetch() { mapping?.willNeed() }

  /// The architecture named by `general.architecture`, e.g. "qwen2".
  public var architecture: String? { self["general.architecture"]?.string }
}
