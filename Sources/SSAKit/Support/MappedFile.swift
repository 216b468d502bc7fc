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
  /// Kept open for `read`, which copies without mapping anything.
  private let fd: Int32

  public enum Failure: Error, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case map(path: String, errno: Int32)
    /// A directory, pipe, device or socket: nothing that can be mapped. `kind` says which.
    case notRegularFile(path: String, kind: String)

    public var description: String {
      switch self {
      case .open(let path, _), .notRegularFile(let path, _): return "cannot open \(path): \(reason)"
      case .map(let path, _): return "cannot map \(path): \(reason)"
      }
    }

    /// The reason alone, for callers that name the path themselves.
    public var reason: String {
      switch self {
      case .open(_, let e), .map(_, let e): return String(cString: strerror(e))
      case .notRegularFile(_, "directory"): return "is a directory"
      case .notRegularFile(_, let kind):
        return "is a \(kind), not a regular file (a model must be a file that can be mapped)"
      }
    }

    /// What a file of mode `mode` is, in words.
    static func kind(ofMode mode: mode_t) -> String {
      switch mode & S_IFMT {
      case S_IFDIR: return "directory"
      case S_IFIFO: return "pipe"
      case S_IFCHR: return "character device"
      case S_IFBLK: return "block device"
      case S_IFSOCK: return "socket"
      default: return "special file"
      }
    }
  }

  public init(path: String) throws {
    self.path = path
    // Non-blocking, so that opening a pipe with no writer fails below instead of waiting forever.
    let fd = open(path, O_RDONLY | O_NONBLOCK)
    guard fd >= 0 else { throw Failure.open(path: path, errno: errno) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let e = errno
      close(fd)
      throw Failure.open(path: path, errno: e)
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw Failure.notRegularFile(path: path, kind: Failure.kind(ofMode: st.st_mode))
    }
    self.fd = fd
    let size = Int(st.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      let e = errno
      close(fd)
      throw Failure.map(path: path, errno: e)
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

  /// Copy `count` bytes at `offset` into `dst` through the page cache, mapping nothing into this
  /// process: the way to read a few bytes of a region that should stay out of the resident set (on
  /// Linux 6.18 a read fault maps the whole large folio around it, up to 2 MiB). False if the read
  /// fails or the range is outside the file.
  public func read(into dst: UnsafeMutableRawPointer, offset: Int, count: Int) -> Bool {
    guard offset >= 0, count >= 0, offset <= bytes.count - count else { return false }
    var done = 0
    while done < count {
      let n = pread(fd, dst + done, count - done, off_t(offset + done))
      if n < 0, errno == EINTR { continue }
      guard n > 0 else { return false }
      done += n
    }
    return true
  }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    close(fd)
  }
}
