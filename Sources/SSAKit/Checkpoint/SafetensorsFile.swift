#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the data. The header is checked against the file length with
/// overflow-safe arithmetic; data is read with `pread` in chunks, so converting a model never maps
/// it whole into memory.
public final class SafetensorsFile: @unchecked Sendable {
  public struct Tensor: Sendable, Equatable {
    public let name: String
    public let dtype: String
    /// PyTorch order: the last dimension is contiguous.
    public let shape: [Int]
    /// Absolute byte range in the file.
    public let offset: Int
    public let byteCount: Int
    public var elementCount: Int { shape.reduce(1, *) }
  }

  public let path: String
  public let tensors: [String: Tensor]
  public let metadata: [String: String]
  public let fileSize: Int
  private let fd: Int32

  static let dtypeSizes: [String: Int] = [
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
    "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
  ]

  public init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      if errno == ENOENT { throw CheckpointError.missingFile(path) }
      throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    var ok = false
    defer { if !ok { close(fd) } }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    let fileSize = Int(st.st_size)
    self.fileSize = fileSize
    func bad(_ reason: String) -> CheckpointError { .badSafetensorsHeader(path: path, reason: reason) }
    guard fileSize >= 8 else { throw bad("file is \(fileSize) bytes, shorter than the 8-byte header length") }
    var lengthBytes = [UInt8](repeating: 0, count: 8)
    try SafetensorsFile.readFully(fd, into: &lengthBytes, at: 0, path: path)
    let headerLength = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard headerLength >= 2, headerLength <= UInt64(fileSize - 8), headerLength <= 100_000_000 else {
      throw bad("header length \(headerLength) does not fit in the file of \(fileSize) bytes")
    }
    var header = [UInt8](repeating: 0, count: Int(headerLength))
    try SafetensorsFile.readFully(fd, into: &header, at: 8, path: path)
    let dataStart = 8 + Int(headerLength)
    let dataLength = fileSize - dataStart
    guard let object = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any] else {
      throw bad("the header is not a JSON object")
    }
    var tensors: [String: Tensor] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in object {
      if name == "__metadata__" {
        if let m = value as? [String: Any] { for (k, v) in m { metadata[k] = "\(v)" } }
        continue
      }
      guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
        let shapeValues = info["shape"] as? [Any], let offsets = info["data_offsets"] as? [Any], offsets.count == 2
      else { throw bad("entry \"\(name)\" lacks dtype, shape or data_offsets") }
      guard let size = SafetensorsFile.dtypeSizes[dtype] else {
        throw CheckpointError.unsupportedDType(tensor: name, dtype: dtype)
      }
      var shape: [Int] = []
      var elements = 1
      for d in shapeValues {
        guard let n = (d as? NSNumber)?.intValue, n >= 0, n <= Int(Int32.max) else {
          throw bad("entry \"\(name)\" has a bad dimension \(d)")
        }
        let (product, overflow) = elements.multipliedReportingOverflow(by: n)
        guard !overflow else { throw bad("entry \"\(name)\" has an overflowing shape") }
        elements = product
        shape.append(n)
      }
      guard let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
        begin >= 0, end >= begin
      else { throw bad("entry \"\(name)\" has bad data_offsets \(offsets)") }
      guard end <= dataLength else {
        throw CheckpointError.tensorOutOfBounds(
          path: path, tensor: name, reason: "ends at data byte \(end), past the data section of \(dataLength) bytes")
      }
      let (bytes, overflow) = elements.multipliedReportingOverflow(by: size)
      guard !overflow, bytes == end - begin else {
        throw CheckpointError.tensorOutOfBounds(
          path: path, tensor: name, reason: "spans \(end - begin) bytes but its shape \(shape) of \(dtype) needs \(bytes)")
      }
      tensors[name] = Tensor(name: name, dtype: dtype, shape: shape, offset: dataStart + begin, byteCount: bytes)
    }
    self.tensors = tensors
    self.metadata = metadata
    self.fd = fd
    ok = true
  }

  deinit { close(fd) }

  /// Read `count` bytes of `tensor` starting `offset` bytes into it.
  public func read(_ tensor: Tensor, offset: Int, count: Int, into buffer: UnsafeMutableRawPointer) throws {
    precondition(offset >= 0 && count >= 0 && offset + count <= tensor.byteCount)
    var done = 0
    while done < count {
      let n = pread(fd, buffer + done, count - done, off_t(tensor.offset + offset + done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        let reason = n == 0 ? "file ends early (truncated?)" : String(cString: strerror(errno))
        throw CheckpointError.unreadable(path: path, reason: "reading \"\(tensor.name)\": \(reason)")
      }
      done += n
    }
  }

  private static func readFully(_ fd: Int32, into buffer: inout [UInt8], at offset: Int, path: String) throws {
    let count = buffer.count
    try buffer.withUnsafeMutableBytes { raw in
      var done = 0
      while done < count {
        let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw CheckpointError.unreadable(path: path, reason: "file ends at byte \(offset + done)") }
        done += n
      }
    }
  }
}
