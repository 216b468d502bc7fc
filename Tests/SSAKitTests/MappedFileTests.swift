import Foundation
import XCTest
@testable import SSAKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Only regular files are mapped; anything else is refused with what it is.
final class MappedFileTests: XCTestCase {
  func testMapsARegularFile() throws {
    let path = TestSupport.temporaryDirectory() + "/bytes"
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
    let file = try MappedFile(path: path)
    XCTAssertEqual(Array(file.bytes), [1, 2, 3])
  }

  func testRefusesWhatIsNotARegularFile() throws {
    let dir = TestSupport.temporaryDirectory()
    let fifo = dir + "/fifo"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    // A pipe with no writer: refused at once, not waited on.
    for (path, reason) in [
      (dir, "is a directory"),
      ("/dev/null", "is a character device, not a regular file (a model must be a file that can be mapped)"),
      (fifo, "is a pipe, not a regular file (a model must be a file that can be mapped)"),
    ] {
      XCTAssertThrowsError(try MappedFile(path: path)) { error in
        guard let failure = error as? MappedFile.Failure, case .notRegularFile = failure else {
          return XCTFail("\(path): \(error)")
        }
        XCTAssertEqual(failure.reason, reason)
        XCTAssertEqual(failure.description, "cannot open \(path): \(reason)")
      }
    }
    XCTAssertThrowsError(try MappedFile(path: dir + "/missing")) { error in
      XCTAssertEqual("\(error)", "cannot open \(dir)/missing: No such file or directory")
    }
  }
}
