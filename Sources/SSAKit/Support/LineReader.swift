#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file descriptor one line at a time, in fixed-size chunks, so a file of any size streams in
/// constant memory. A line longer than `maxLineBytes` is not kept: its bytes are counted and dropped as
/// they arrive, and the caller gets `.tooLong`, so one huge line cannot exhaust memory.
public final class LineReader {
  public enum Line: Equatable {
    /// The line's bytes without the newline (a trailing carriage return is removed too).
    case bytes([UInt8])
    /// A line of `byteCount` bytes (newline excluded), more than the limit; its content is gone.
    case tooLong(byteCount: Int)
  }

  public enum Failure: Error, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case directory(path: String)
    case read(errno: Int32)
    case tooLong(limit: Int)

    public var description: String {
      switch self {
      case .open(let path, let e): return "cannot open \(path): \(String(cString: strerror(e)))"
      case .directory(let path): return "\(path) is a directory, not a file"
      case .read(let e): return "read failed: \(String(cString: strerror(e)))"
      case .tooLong(let limit): return "the input is longer than the limit of \(limit) bytes"
      }
    }
  }

  /// A file's identity (device and inode), to tell whether two paths or descriptors are one file.
  public struct FileIdentity: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of the file at `path`, or nil when it does not exist.
    public init?(path: String) {
      var st = stat()
      guard stat(path, &st) == 0 else { return nil }
      self.init(st)
    }

    public init?(fileDescriptor fd: Int32) {
      var st = stat()
      guard fstat(fd, &st) == 0 else { return nil }
      self.init(st)
    }

    private init(_ st: stat) {
      device = UInt64(st.st_dev)
      inode = UInt64(st.st_ino)
    }
  }

  public let maxLineBytes: Int
  /// Size of the input when it is a regular file (for an ETA), else nil.
  public let totalBytes: Int?
  /// Bytes consumed so far, newlines included.
  public private(set) var bytesConsumed = 0
  /// Lines returned so far; the 1-based number of the last line returned.
  public private(set) var lineNumber = 0
  /// Asked when a read is interrupted by a signal: true ends the input early (at a line boundary).
  public var shouldStop: () -> Bool = { false }
  /// The input's identity when it is a regular file (so an output can refuse to overwrite it).
  public let fileIdentity: FileIdentity?

  private let fd: Int32
  private let ownsDescriptor: Bool
  private var buffer: [UInt8]
  private var start = 0  // unread bytes are buffer[start..<end]
  private var end = 0
  private var atEOF = false
  private var stopped = false
  private var checkedBOM = false

  public init(fileDescriptor: Int32, maxLineBytes: Int = 64 << 20, chunkBytes: Int = 1 << 20) {
    self.fd = fileDescriptor
    self.ownsDescriptor = false
    self.maxLineBytes = maxLineBytes
    self.buffer = [UInt8](repeating: 0, count: max(chunkBytes, 16))
    self.totalBytes = LineReader.regularFileSize(fileDescriptor)
    self.fileIdentity = totalBytes == nil ? nil : FileIdentity(fileDescriptor: fileDescriptor)
  }

  public init(path: String, maxLineBytes: Int = 64 << 20, chunkBytes: Int = 1 << 20) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw Failure.open(path: path, errno: errno) }
    var st = stat()
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw Failure.directory(path: path)
    }
    self.fd = fd
    self.ownsDescriptor = true
    self.maxLineBytes = maxLineBytes
    self.buffer = [UInt8](repeating: 0, count: max(chunkBytes, 16))
    self.totalBytes = LineReader.regularFileSize(fd)
    self.fileIdentity = totalBytes == nil ? nil : FileIdentity(fileDescriptor: fd)
  }

  deinit {
    if ownsDescriptor { close(fd) }
  }

  /// The next line, or nil at the end of input. A final line without a newline is still a line; an
  /// input ending in a newline has no empty line after it.
  public func next() throws -> Line? {
    try skipByteOrderMark()
    var pending: [UInt8] = []
    var length = 0
    var dropping = false
    while true {
      if start < end {
        let found = buffer.withUnsafeBytes { raw -> Int? in
          guard let p = memchr(raw.baseAddress! + start, 0x0A, end - start) else { return nil }
          return raw.baseAddress!.distance(to: UnsafeRawPointer(p))
        }
        let stop = found ?? end
        let piece = stop - start
        length += piece
        if !dropping {
          if length > maxLineBytes {
            dropping = true
            pending = []
          } else {
            pending.append(contentsOf: buffer[start..<stop])
          }
        }
        bytesConsumed += piece
        start = stop
        if found != nil {
          start += 1
          bytesConsumed += 1
          return finish(pending, length: length, dropped: dropping)
        }
      }
      if atEOF {
        if length == 0 && pending.isEmpty && !dropping { return nil }
        return finish(pending, length: length, dropped: dropping)
      }
      try fill()
      if stopped { return nil }  // a line cut short by the stop is not a line
      if atEOF && start == end && length == 0 && !dropping { return nil }
    }
  }

  /// Everything not yet read, as one byte array (for inputs that are one document, not lines).
  /// More than `maxBytes` throws `Failure.tooLong` as soon as the limit is passed.
  public func readAll(maxBytes: Int = Int.max) throws -> [UInt8] {
    try skipByteOrderMark()
    var all: [UInt8] = []
    while true {
      guard end - start <= maxBytes - all.count else { throw Failure.tooLong(limit: maxBytes) }
      all.append(contentsOf: buffer[start..<end])
      bytesConsumed += end - start
      start = end
      if atEOF { return all }
      try fill()
    }
  }

  /// The first byte that is not ASCII whitespace, without consuming anything; nil for a blank input.
  public func peekFirstNonSpace() throws -> UInt8? {
    try skipByteOrderMark()
    var scanned = start
    while true {
      while scanned < end {
        let b = buffer[scanned]
        if b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 { return b }
        scanned += 1
      }
      if atEOF { return nil }
      // Keep what was scanned: grow the buffer instead of discarding it.
      let offset = scanned - start
      try fill(keeping: true)
      scanned = start + offset
    }
  }

  /// A UTF-8 byte order mark at the very start of the input is not part of its text: skipped.
  private func skipByteOrderMark() throws {
    guard !checkedBOM else { return }
    checkedBOM = true
    while end - start < 3 && !atEOF { try fill(keeping: true) }
    if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF {
      start += 3
      bytesConsumed += 3
    }
  }

  private func finish(_ bytes: [UInt8], length: Int, dropped: Bool) -> Line {
    lineNumber += 1
    if dropped { return .tooLong(byteCount: length) }
    var bytes = bytes
    if bytes.last == 0x0D { bytes.removeLast() }
    return .bytes(bytes)
  }

  /// Reads the next chunk. Unless `keeping`, the buffer is empty (start == end) when this is called.
  private func fill(keeping: Bool = false) throws {
    if keeping {
      if start > 0 {
        buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
        end -= start
        start = 0
      }
      if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
    } else {
      start = 0
      end = 0
    }
    while true {
      let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + end, raw.count - end) }
      if n > 0 {
        end += n
        return
      }
      if n == 0 {
        atEOF = true
        return
      }
      let e = errno
      if e == EINTR {
        if shouldStop() {
          stopped = true
          atEOF = true
          return
        }
        continue
      }
      throw Failure.read(errno: e)
    }
  }

  private static func regularFileSize(_ fd: Int32) -> Int? {
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(st.st_size)
  }
}
