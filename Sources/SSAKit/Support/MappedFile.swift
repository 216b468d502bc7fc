#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file. Pages are loaded lazily by the kernel and shared with
/// the page cache, so mapping a model costs no copy and no resident memory until it is read.
public final class MappedFile: @unchecked Sendable {
  public let path: String
  public let bytes: UnsafeRawBufferPointer

  public enum Failure: Error, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case map(path: String, errno: Int32)

    public var description: String {
      switch self {
      case .open(let path, _): return "cannot open \(path): \(reason)"
      case .map(let path, _): return "cannot map \(path): \(reason)"
      }
    }

    /// The system's reason alone, for callers that name the path themselves.
    public var reason: String {
      switch self {
      case .open(_, let e), .map(_, let e): return String(cString: strerror(e))
      }
    }
  }

  public init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw Failure.open(path: path, errno: errno) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw Failure.open(path: path, errno: errno) }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw Failure.open(path: path, errno: EISDIR) }
    let size = Int(st.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw Failure.map(path: path, errno: errno)
    }
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  /// Tell the kernel the whole file will be read soon (weights of a model about to run).
  public func willNeed() {
    guard let base = bytes.baseAddress else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_WILLNEED)
  }

  /// Drop the pages of a byte range from this process (they are re-read from the file if touched again).
  public func dontNeed(offset: Int, count: Int) {
    guard let base = bytes.baseAddress, count > 0 else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (offset / page) * page
    let end = min(bytes.count, offset + count)
    guard end > start else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
  }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }
}
