import CKernels
import Foundation
import XCTest
@testable import SSAKit

/// Paths of committed fixtures (copied into the test bundle) and of the real default model.
enum TestSupport {
  static func fixture(_ relativePath: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(relativePath).path
  }

  /// The real default model as downloaded (GGUF Q4_K_M), fetched on first use (about 470 MB).
  static func originalModelPath() throws -> String {
    try ModelStore.ensureDownloadedModel()
  }

  /// The default model as the runtime uses it (converted to Q8_0 on first use).
  static func defaultModelPath() throws -> String {
    try ModelStore.ensureDefaultModel()
  }

  /// A script of the repository's tools/ folder.
  static func tool(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("tools").appendingPathComponent(name).path
  }

  static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
    var ctx = ssa_sha256_ctx()
    ssa_sha256_init(&ctx)
    ssa_sha256_update(&ctx, bytes.baseAddress, bytes.count)
    var digest = [UInt8](repeating: 0, count: 32)
    ssa_sha256_final(&ctx, &digest)
    return digest.map { String(format: "%02x", $0) }.joined()
  }

  /// A fresh temporary directory for one test, inside this test process's own folder, which is
  /// removed when the process exits.
  static func temporaryDirectory() -> String {
    _ = testFolderCleanup
    let dir = testFolder + "/\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }
}

/// The folder that holds every temporary directory of this test process.
private let testFolder = NSTemporaryDirectory() + "ssa-tests-\(UUID().uuidString)"

/// Removes the test folder at exit (set up once, on the first temporary directory).
private let testFolderCleanup: Void = {
  atexit { try? FileManager.default.removeItem(atPath: testFolder) }
}()

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
    try run([ssaBinary] + arguments, stdin: stdin, environment: environment)
  }

  /// Runs a program (looked up on PATH when the name has no slash) and collects its output.
  @discardableResult
  static func run(_ command: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    if command[0].contains("/") {
      process.executableURL = URL(fileURLWithPath: command[0])
      process.arguments = Array(command.dropFirst())
    } else {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = command
    }
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
