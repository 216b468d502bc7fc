import Foundation
import XCTest
@testable import SSAKit

/// Paths of committed fixtures (copied into the test bundle) and of the real default model.
enum TestSupport {
  static func fixture(_ relativePath: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(relativePath).path
  }

  /// The real default model, downloaded on first use (CI fetches it; about 470 MB).
  static func defaultModelPath() throws -> String {
    try ModelStore.ensureDefaultModel()
  }

  /// A fresh temporary directory for one test.
  static func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "ssa-tests-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }
}

/// Runs the built `ssa` binary, as a user would.
struct CLIResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

extension TestSupport {
  static var ssaBinary: String {
    // The test bundle sits in the build products folder, next to the `ssa` executable.
    let products = Bundle.module.bundleURL.deletingLastPathComponent()
    return products.appendingPathComponent("ssa").path
  }

  @discardableResult
  static func runSSA(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ssaBinary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
      DispatchQueue.global().async {
        try? input.fileHandleForWriting.write(contentsOf: stdin)
        try? input.fileHandleForWriting.close()
      }
    }
    // Read both pipes concurrently so a large output cannot block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errBox.data
    process.waitUntilExit()
    return CLIResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
