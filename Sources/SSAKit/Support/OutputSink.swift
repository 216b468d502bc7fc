#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole lines straight to a file descriptor, with no buffering, so every record is out the
/// moment it is written (a reader at the other end of a pipe, or an interrupted run, loses nothing).
/// When the reader has gone away (EPIPE; SIGPIPE must be ignored, see `SignalHandling`), the sink
/// reports `isClosed` instead of failing, so the caller can end the run quietly.
public final class OutputSink {
  public enum Failure: Error, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case sameAsInput(path: String)
    case write(errno: Int32)

    public var description: String {
      switch self {
      case .open(let path, let e): return "cannot create \(path): \(String(cString: strerror(e)))"
      case .sameAsInput(let path): return "the output \(path) is the input file: writing it would destroy the input"
      case .write(let e): return "write failed: \(String(cString: strerror(e)))"
      }
    }
  }

  public private(set) var isClosed = false
  public private(set) var linesWritten = 0
  private let fd: Int32
  private let ownsDescriptor: Bool

  public init(fileDescriptor: Int32) {
    self.fd = fileDescriptor
    self.ownsDescriptor = false
  }

  /// Creates or truncates `path`; refuses (before touching it) when it is the file `input` names.
  public init(path: String, notOverwriting input: LineReader.FileIdentity? = nil) throws {
    if let input, LineReader.FileIdentity(path: path) == input { throw Failure.sameAsInput(path: path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw Failure.open(path: path, errno: errno) }
    self.fd = fd
    self.ownsDescriptor = true
  }

  deinit {
    if ownsDescriptor { close(fd) }
  }

  /// Writes `line` and a newline. Returns false (and writes nothing more, ever) once the reader is gone.
  @discardableResult
  public func writeLine(_ line: String) throws -> Bool {
    guard !isClosed else { return false }
    var text = line
    text += "\n"
    let error: Int32? = text.withUTF8 { buf in
      var done = 0
      while done < buf.count {
        let n = write(fd, buf.baseAddress! + done, buf.count - done)
        if n > 0 {
          done += n
        } else if n < 0 && errno == EINTR {
          continue
        } else {
          return n < 0 ? errno : EIO
        }
      }
      return nil
    }
    if let error {
      if error == EPIPE {
        isClosed = true
        return false
      }
      throw Failure.write(errno: error)
    }
    linesWritten += 1
    return true
  }
}
