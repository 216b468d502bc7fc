import Foundation
import XCTest
@testable import SSAKit

/// The writer: byte-identical to llama.cpp's `gguf` package on the same content, and round trips.
final class GGUFWriterTests: XCTestCase {
  /// Rewrite the Python-written reference file from what we read of it: same bytes.
  func testRewritesPythonFileByteForByte() throws {
    let path = TestSupport.fixture("gguf/reference.gguf")
    let reference = try GGUFFile(path: path)
    let out = TestSupport.temporaryDirectory() + "/rewritten.gguf"
    try copy(reference, to: out)
    let expected = try Data(contentsOf: URL(fileURLWithPath: path))
    let actual = try Data(contentsOf: URL(fileURLWithPath: out))
    XCTAssertEqual(actual.count, expected.count)
    XCTAssertTrue(actual == expected, "writer output differs from the gguf package's file")
  }

  func testRoundTripEveryValueType() throws {
    let metadata: [(key: String, value: GGUFValue)] = [
      ("general.architecture", .string("qwen2")),
      ("general.alignment", .uint32(32)),
      ("a.u8", .uint8(255)), ("a.i8", .int8(-128)), ("a.u16", .uint16(65535)), ("a.i16", .int16(-32768)),
      ("a.u32", .uint32(.max)), ("a.i32", .int32(.min)), ("a.f32", .float32(-0.0)),
      ("a.bool", .bool(false)), ("a.string", .string("")), ("a.u64", .uint64(.max)),
      ("a.i64", .int64(.min)), ("a.f64", .float64(.greatestFiniteMagnitude)),
      ("a.nan", .float32(.infinity)),
      ("a.empty", .array(.string, [])),
      ("a.strings", .array(.string, (0..<1000).map { .string("tok\($0) ✓") })),
      ("a.nested", .array(.array, [.array(.uint8, [.uint8(1)]), .array(.uint8, [])])),
      ("a.u16s", .array(.uint16, [.uint16(1), .uint16(.max)])), ("a.i64s", .array(.int64, [.int64(.min), .int64(-1)])),
      ("a.f32s", .array(.float32, [.float32(-0.0), .float32(.infinity)])), ("a.bools", .array(.bool, [.bool(true)])),
    ]
    let tensors: [GGUFWriter.TensorInfo] = [
      .init(name: "x", type: .f32, shape: [3]),
      .init(name: "y", type: .q4_0, shape: [64, 3]),
      .init(name: "z", type: .bf16, shape: [2, 2, 2, 2]),
    ]
    let payloads: [[UInt8]] = tensors.map { t in (0..<t.byteCount!).map { UInt8(truncatingIfNeeded: $0 * 7 + t.name.count) } }
    let path = TestSupport.temporaryDirectory() + "/round.gguf"
    let writer = try GGUFWriter(path: path, metadata: metadata, tensors: tensors)
    for p in payloads { try writer.writeTensor(p) }
    try writer.finish()
    XCTAssertFalse(FileManager.default.fileExists(atPath: writer.temporaryPath))

    let read = try GGUFFile(path: path)
    XCTAssertEqual(read.metadata.count, metadata.count)
    for ((k1, v1), (k2, v2)) in zip(read.metadata, metadata) {
      XCTAssertEqual(k1, k2)
      XCTAssertEqual(v1, v2, k1)
    }
    XCTAssertEqual(read.tensors.map(\.name), tensors.map(\.name))
    XCTAssertEqual(read.tensors.map(\.shape), tensors.map(\.shape))
    XCTAssertEqual(read.tensors.map(\.type), tensors.map(\.type))
    for (t, p) in zip(read.tensors, payloads) {
      XCTAssertEqual(Array(read.data(of: t)), p)
      XCTAssertEqual(t.fileOffset % 32, 0)
    }
  }

  func testFailedWriteLeavesNothing() throws {
    let dir = TestSupport.temporaryDirectory()
    let path = dir + "/never.gguf"
    let writer = try GGUFWriter(path: path, metadata: [], tensors: [.init(name: "a", type: .f32, shape: [4])])
    XCTAssertThrowsError(try writer.writeTensor([UInt8](repeating: 0, count: 3))) { error in
      XCTAssertEqual(error as? GGUFError, .writerMisuse("tensor \"a\" needs 16 bytes, got 3"))
    }
    XCTAssertThrowsError(try writer.finish())
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])

    let unfinished = try GGUFWriter(path: path, metadata: [], tensors: [.init(name: "a", type: .f32, shape: [4])])
    XCTAssertThrowsError(try unfinished.finish())
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
  }

  func testRejectsBadDeclarations() {
    let path = TestSupport.temporaryDirectory() + "/bad.gguf"
    XCTAssertThrowsError(try GGUFWriter(path: path, metadata: [("k", .int8(1)), ("k", .int8(2))], tensors: [])) {
      XCTAssertEqual($0 as? GGUFError, .duplicateKey("k"))
    }
    XCTAssertThrowsError(try GGUFWriter(path: path, metadata: [], tensors: [.init(name: "q", type: .q8_0, shape: [33])])) {
      guard case .badTensorShape = $0 as? GGUFError else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try GGUFWriter(path: path, metadata: [("a", .array(.int32, [.string("x")]))], tensors: []))
    XCTAssertThrowsError(try GGUFWriter(path: "/nonexistent-dir/x.gguf", metadata: [], tensors: [])) {
      guard case .writeFailed = $0 as? GGUFError else { return XCTFail("\($0)") }
    }
  }

  /// Write `file`'s metadata and tensors to `path` with our writer.
  private func copy(_ file: GGUFFile, to path: String) throws {
    let infos = file.tensors.map { GGUFWriter.TensorInfo(name: $0.name, type: $0.type, shape: $0.shape) }
    let writer = try GGUFWriter(path: path, metadata: file.metadata, tensors: infos)
    for t in file.tensors { try writer.writeTensor(file.data(of: t)) }
    try writer.finish()
  }
}
