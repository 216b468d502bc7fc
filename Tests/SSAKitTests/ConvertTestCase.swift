import Foundation
import XCTest
@testable import SSAKit

/// Helpers of the converter's failure tests: damaged copies of the tiny fixtures, and `ssa convert`
/// run on them as a user would.
class ConvertTestCase: XCTestCase {
  let tiny = TestSupport.fixture("tiny-qwen2")

  /// A copy of a fixture checkpoint folder that a test may damage.
  func copyOf(_ variant: String) throws -> String {
    let dir = TestSupport.temporaryDirectory() + "/" + variant
    try FileManager.default.copyItem(atPath: "\(tiny)/\(variant)", toPath: dir)
    return dir
  }

  /// Runs `ssa convert` and checks: non-zero exit, one line on stderr mentioning `mentions`, and
  /// nothing written next to the output.
  func expectFailure(_ input: String, _ mentions: String, extra: [String] = [], status: Int32 = 1,
                     shellPrefix: String? = nil, line: UInt = #line) throws {
    let outDir = TestSupport.temporaryDirectory()
    let out = outDir + "/out.gguf"
    let result: CLIResult
    if let shellPrefix {
      let quoted = ([TestSupport.ssaBinary, "convert", input, "-o", out] + extra).map { "'\($0)'" }.joined(separator: " ")
      result = try TestSupport.run(["/bin/sh", "-c", "\(shellPrefix); exec \(quoted)"])
    } else {
      result = try TestSupport.runSSA(["convert", input, "-o", out] + extra)
    }
    XCTAssertEqual(result.status, status, result.stderr, line: line)
    let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("ssa: ") }
    XCTAssertEqual(errorLines.count, 1, result.stderr, line: line)
    XCTAssertTrue(errorLines.first?.contains(mentions) ?? false, "\(result.stderr) should mention \(mentions)", line: line)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outDir), [], "files left behind", line: line)
  }

  func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
  }

  /// Rewrite a safetensors header (keeping the data) after editing its JSON.
  func rewriteHeader(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
    edit(&header)
    var json = try JSONSerialization.data(withJSONObject: header)
    while json.count % 8 != 0 { json.append(0x20) }
    var out = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(data.subdata(in: (8 + length)..<data.count))
    try out.write(to: URL(fileURLWithPath: path))
  }

  /// A copy of a fixture GGUF with its metadata edited (nil removes a key) and some tensors left out.
  func rewriteGGUF(_ source: String, to path: String, metadata edits: [String: GGUFValue?] = [:],
                   dropping dropped: Set<String> = []) throws {
    let file = try GGUFFile(path: source)
    var metadata: [(key: String, value: GGUFValue)] = []
    for (key, value) in file.metadata {
      if let edit = edits[key] {
        if let edit { metadata.append((key, edit)) }
      } else {
        metadata.append((key, value))
      }
    }
    for (key, value) in edits.sorted(by: { $0.key < $1.key }) where file[key] == nil {
      if let value { metadata.append((key, value)) }
    }
    let tensors = file.tensors.filter { !dropped.contains($0.name) }
    let writer = try GGUFWriter(
      path: path, metadata: metadata, tensors: tensors.map { .init(name: $0.name, type: $0.type, shape: $0.shape) })
    for t in tensors { try writer.writeTensor(file.data(of: t)) }
    try writer.finish()
  }
}
