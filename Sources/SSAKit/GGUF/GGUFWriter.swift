#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a GGUF v3 file as a stream: metadata and tensor infos first, then each tensor's bytes in the
/// order the tensors were declared. The file is written under a temporary name beside the target and
/// renamed into place only by `finish()`; `abort()` (or an error) removes it, so a failed or interrupted
/// write never leaves a partial file under the final name.
public final class GGUFWriter {
  public struct TensorInfo: Sendable, Equatable {
    public var name: String
    public var type: GGMLType
    /// GGML order: `shape[0]` is the row length.
    public var shape: [Int]

    public init(name: String, type: GGMLType, shape: [Int]) {
      self.name = name
      self.type = type
      self.shape = shape
    }

    public var byteCount: Int? { type.byteCount(elements: shape.reduce(1, *)) }
  }

  public let path: String
  public let temporaryPath: String
  public let alignment: Int
  private let tensors: [TensorInfo]
  private let offsets: [Int]
  private var fd: Int32 = -1
  private var next = 0
  private var pending = 0

  /// Paths of files being written, removed by `removeUnfinishedFiles()` (e.g. from a signal handler).
  nonisolated(unsafe) static var unfinished: Set<String> = []

  /// Start writing `path`. Validates the tensor list, then writes the header to the temporary file.
  public init(path: String, metadata: [(key: String, value: GGUFValue)], tensors: [TensorInfo]) throws {
    self.path = path
    self.temporaryPath = path + ".partial-\(getpid())"
    self.tensors = tensors
    var alignment = GGUFFile.defaultAlignment
    if let a = metadata.first(where: { $0.key == "general.alignment" })?.value {
      guard case .uint32(let v) = a, v > 0, v & (v - 1) == 0 else {
        throw GGUFError.badAlignment("\(a)")
      }
      alignment = Int(v)
    }
    self.alignment = alignment

    var seenKeys = Set<String>()
    for (key, value) in metadata {
      guard seenKeys.insert(key).inserted else { throw GGUFError.duplicateKey(key) }
      guard GGUFWriter.isWellTyped(value) else {
        throw GGUFError.writerMisuse("array \"\(key)\" holds elements of another type than it declares")
      }
    }
    var seenNames = Set<String>()
    var offsets: [Int] = []
    var offset = 0
    for t in tensors {
      guard seenNames.insert(t.name).inserted else { throw GGUFError.duplicateTensor(t.name) }
      guard (1...4).contains(t.shape.count), t.shape.allSatisfy({ $0 > 0 }) else {
        throw GGUFError.badTensorShape(tensor: t.name, reason: "shape \(t.shape)")
      }
      guard t.shape[0] % t.type.blockSize == 0, let bytes = t.byteCount else {
        throw GGUFError.badTensorShape(
          tensor: t.name, reason: "row length \(t.shape[0]) is not a multiple of the \(t.type.name) block size")
      }
      offsets.append(offset)
      offset = GGUFWriter.pad(offset + bytes, alignment)
    }
    self.offsets = offsets

    var header: [UInt8] = []
    header += GGUFFile.magic
    append(&header, UInt32(3))
    append(&header, UInt64(tensors.count))
    append(&header, UInt64(metadata.count))
    for (key, value) in metadata {
      appendString(&header, key)
      append(&header, value.type.rawValue)
      appendValue(&header, value)
    }
    for (t, offset) in zip(tensors, offsets) {
      appendString(&header, t.name)
      append(&header, UInt32(t.shape.count))
      for d in t.shape { append(&header, UInt64(d)) }
      append(&header, t.type.rawValue)
      append(&header, UInt64(offset))
    }
    header += [UInt8](repeating: 0, count: GGUFWriter.pad(header.count, alignment) - header.count)

    fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw GGUFError.writeFailed(path: temporaryPath, reason: String(cString: strerror(errno))) }
    GGUFWriter.unfinished.insert(temporaryPath)
    do {
      try writeAll(header)
    } catch {
      abort()
      throw error
    }
  }

  deinit { if fd >= 0 { abort() } }

  /// The number of bytes each declared tensor must be given.
  public func byteCount(ofTensor index: Int) -> Int { tensors[index].byteCount ?? 0 }

  /// Append the whole data of the next tensor (in declaration order).
  public func writeTensor(_ bytes: UnsafeRawBufferPointer) throws {
    guard pending == 0 else { throw GGUFError.writerMisuse("a tensor was only partly written") }
    guard next < tensors.count else { throw GGUFError.writerMisuse("more tensors written than declared") }
    let t = tensors[next]
    guard bytes.count == t.byteCount else {
      abort()
      throw GGUFError.writerMisuse("tensor \"\(t.name)\" needs \(t.byteCount ?? 0) bytes, got \(bytes.count)")
    }
    try appendTensorData(bytes)
  }

  /// Append part of the next tensor's data; the tensor is complete when its declared byte count has
  /// been given. Lets a converter stream a tensor in chunks of rows.
  public func appendTensorData(_ bytes: UnsafeRawBufferPointer) throws {
    guard fd >= 0 else { throw GGUFError.writerMisuse("write after finish or abort") }
    guard next < tensors.count else { throw GGUFError.writerMisuse("more tensors written than declared") }
    let t = tensors[next]
    let needed = t.byteCount ?? 0
    guard pending + bytes.count <= needed else {
      abort()
      throw GGUFError.writerMisuse("tensor \"\(t.name)\" needs \(needed) bytes, got \(pending + bytes.count)")
    }
    do {
      try writeAll(bytes)
      pending += bytes.count
      if pending == needed {
        let padding = GGUFWriter.pad(needed, alignment) - needed
        if padding > 0 { try writeAll([UInt8](repeating: 0, count: padding)) }
        pending = 0
        next += 1
      }
    } catch {
      abort()
      throw error
    }
  }

  public func writeTensor(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try writeTensor($0) }
  }

  /// Flush, sync and rename the temporary file into place. Every declared tensor must have been written.
  public func finish() throws {
    guard fd >= 0 else { throw GGUFError.writerMisuse("finish after finish or abort") }
    guard next == tensors.count, pending == 0 else {
      abort()
      throw GGUFError.writerMisuse("\(tensors.count - next) declared tensors were not written")
    }
    guard fsync(fd) == 0 else {
      let reason = String(cString: strerror(errno))
      abort()
      throw GGUFError.writeFailed(path: temporaryPath, reason: reason)
    }
    close(fd)
    fd = -1
    guard rename(temporaryPath, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporaryPath)
      GGUFWriter.unfinished.remove(temporaryPath)
      throw GGUFError.writeFailed(path: path, reason: reason)
    }
    GGUFWriter.unfinished.remove(temporaryPath)
  }

  /// Stop and remove the temporary file.
  public func abort() {
    if fd >= 0 { close(fd) }
    fd = -1
    unlink(temporaryPath)
    GGUFWriter.unfinished.remove(temporaryPath)
  }

  /// Remove every file still being written (for a SIGINT handler: unlink is async-signal-safe enough
  /// here, as the process exits right after).
  public static func removeUnfinishedFiles() {
    for p in unfinished { unlink(p) }
  }

  // MARK: - Encoding

  private func writeAll(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try writeAll($0) }
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw GGUFError.writeFailed(path: temporaryPath, reason: String(cString: strerror(errno)))
      }
      done += n
    }
  }

  private static func isWellTyped(_ value: GGUFValue) -> Bool {
    guard case .array(let type, let items) = value else { return true }
    return items.allSatisfy { $0.type == type && isWellTyped($0) }
  }

  static func pad(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

  private func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
    withUnsafeBytes(of: v.littleEndian) { out += $0 }
  }

  private func appendString(_ out: inout [UInt8], _ s: String) {
    let utf8 = Array(s.utf8)
    append(&out, UInt64(utf8.count))
    out += utf8
  }

  private func appendValue(_ out: inout [UInt8], _ value: GGUFValue) {
    switch value {
    case .uint8(let v): append(&out, v)
    case .int8(let v): append(&out, v)
    case .uint16(let v): append(&out, v)
    case .int16(let v): append(&out, v)
    case .uint32(let v): append(&out, v)
    case .int32(let v): append(&out, v)
    case .float32(let v): append(&out, v.bitPattern)
    case .bool(let v): append(&out, UInt8(v ? 1 : 0))
    case .string(let s): appendString(&out, s)
    case .uint64(let v): append(&out, v)
    case .int64(let v): append(&out, v)
    case .float64(let v): append(&out, v.bitPattern)
    case .array(let type, let items):
      append(&out, type.rawValue)
      append(&out, UInt64(items.count))
      // Packed elements are already their little-endian encoding.
      if let bytes = items.packedBytes { out += bytes } else { for item in items { appendValue(&out, item) } }
    }
  }
}
