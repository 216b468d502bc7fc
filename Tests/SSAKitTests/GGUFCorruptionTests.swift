import Foundation
import XCTest
@testable import SSAKit

/// Corrupted and hostile files: each gets its typed error, never a crash.
final class GGUFCorruptionTests: XCTestCase {
  /// A small valid file assembled by hand, so every field's offset is known.
  struct Builder {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
  }

  /// Offsets of the fields the corruption cases aim at.
  struct Layout {
    var bytes: [UInt8]
    var version = 4, tensorCount = 8, kvCount = 16
    var firstKeyLength = 24, firstValueType = 0, stringValueLength = 0, arrayCount = 0
    var tensorNameLength = 0, tensorDims = 0, tensorDim0 = 0, tensorType = 0, tensorOffset = 0
    var dataEnd = 0
  }

  static func validFile() -> Layout {
    var b = Builder()
    var layout = Layout(bytes: [])
    b.bytes += Array("GGUF".utf8)
    b.u32(3)
    b.u64(2)  // tensors
    b.u64(3)  // kv
    b.string("general.architecture")
    layout.firstValueType = b.bytes.count
    b.u32(8)
    layout.stringValueLength = b.bytes.count
    b.string("qwen2")
    b.string("test.array")
    b.u32(9)
    b.u32(4)
    layout.arrayCount = b.bytes.count
    b.u64(3)
    b.u32(1); b.u32(2); b.u32(3)
    b.string("test.strings")
    b.u32(9)
    b.u32(8)
    b.u64(2)
    b.string("Ġa")
    b.string("b")
    layout.tensorNameLength = b.bytes.count
    b.string("w")
    layout.tensorDims = b.bytes.count
    b.u32(2)
    layout.tensorDim0 = b.bytes.count
    b.u64(32)
    b.u64(2)
    layout.tensorType = b.bytes.count
    b.u32(8)  // Q8_0: 2 rows x 34 bytes
    layout.tensorOffset = b.bytes.count
    b.u64(0)
    b.string("v")
    b.u32(1)
    b.u64(4)
    b.u32(0)  // F32
    b.u64(96)  // 68 bytes of w padded to 96
    while b.bytes.count % 32 != 0 { b.bytes.append(0) }
    let dataStart = b.bytes.count
    b.bytes += (0..<68).map { UInt8($0) }
    b.bytes += [UInt8](repeating: 0, count: 28)
    b.bytes += (0..<16).map { UInt8($0 + 100) }
    layout.dataEnd = dataStart + 96 + 16
    layout.bytes = b.bytes
    return layout
  }

  /// A file with no tensors and `count` metadata entries, written by `entries`.
  static func metadataOnly(count: UInt64, _ entries: (inout Builder) -> Void) -> [UInt8] {
    var b = Builder()
    b.bytes += Array("GGUF".utf8)
    b.u32(3)
    b.u64(0)
    b.u64(count)
    entries(&b)
    return b.bytes
  }

  func parse(_ bytes: [UInt8]) -> Result<GGUFFile, Error> {
    bytes.withUnsafeBytes { raw in
      Result { try GGUFFile(bytes: raw) }
    }
  }

  func expectError(_ bytes: [UInt8], _ expected: GGUFError, file: StaticString = #filePath, line: UInt = #line) {
    switch parse(bytes) {
    case .success: XCTFail("parsed a corrupt file, expected \(expected)", file: file, line: line)
    case .failure(let error):
      XCTAssertEqual(error as? GGUFError, .inFile(path: "<memory>", expected), file: file, line: line)
    }
  }

  /// The one-line message a corrupt input gets.
  func message(_ bytes: [UInt8]) -> String {
    switch parse(bytes) {
    case .success: return "parsed"
    case .failure(let error): return "\(error)"
    }
  }

  func patch(_ bytes: [UInt8], at offset: Int, u64 value: UInt64) -> [UInt8] {
    var out = bytes
    withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { out[offset + i] = b } }
    return out
  }

  func patch(_ bytes: [UInt8], at offset: Int, u32 value: UInt32) -> [UInt8] {
    var out = bytes
    withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { out[offset + i] = b } }
    return out
  }

  func testValidFileParses() throws {
    let layout = Self.validFile()
    let file = try parse(layout.bytes).get()
    XCTAssertEqual(file.tensors.map(\.name), ["w", "v"])
    XCTAssertEqual(file["test.strings"]?.strings, ["Ġa", "b"])
    XCTAssertEqual(Array(file.data(of: file.tensors[1])), (0..<16).map { UInt8($0 + 100) })
  }

  func testNamedCorruptions() {
    let l = Self.validFile()
    let b = l.bytes
    var magic = b
    magic[0] = UInt8(ascii: "X")
    expectError(magic, .badMagic(found: Array("XGUF".utf8)))
    expectError(patch(b, at: l.version, u32: 4), .unsupportedVersion(4))
    expectError(patch(b, at: l.tensorCount, u64: 1 << 60), .absurdCount(what: "tensor count", count: 1 << 60, at: 8))
    expectError(patch(b, at: l.kvCount, u64: .max), .absurdCount(what: "metadata count", count: .max, at: 16))
    expectError(
      patch(b, at: l.firstKeyLength, u64: 1 << 40), .absurdCount(what: "string length", count: 1 << 40, at: 24))
    expectError(
      patch(b, at: l.stringValueLength, u64: .max),
      .absurdCount(what: "string length", count: .max, at: l.stringValueLength))
    expectError(patch(b, at: l.firstValueType, u32: 13), .unknownValueType(13, key: "general.architecture"))
    expectError(
      patch(b, at: l.arrayCount, u64: 1 << 61),
      .absurdCount(what: "array length of \"test.array\"", count: 1 << 61, at: l.arrayCount))
    expectError(patch(b, at: l.tensorType, u32: 99), .unknownTensorType(99, tensor: "w"))
    expectError(patch(b, at: l.tensorType, u32: 5), .unknownTensorType(5, tensor: "w"))
    expectError(
      patch(b, at: l.tensorDims, u32: 9),
      .badTensorShape(tensor: "w", reason: "9 dimensions (at byte \(l.tensorDims)); a tensor has 1 to 4"))
    expectError(
      patch(b, at: l.tensorDims, u32: 0),
      .badTensorShape(tensor: "w", reason: "0 dimensions (at byte \(l.tensorDims)); a tensor has 1 to 4"))
    expectError(
      patch(b, at: l.tensorDim0, u64: 0),
      .badTensorShape(tensor: "w", reason: "dimension 0 is 0 (at byte \(l.tensorDim0))"))
    expectError(
      patch(b, at: l.tensorDim0, u64: 33),
      .badTensorShape(tensor: "w", reason: "row length 33 is not a multiple of the Q8_0 block size 32"))
    expectError(
      patch(b, at: l.tensorOffset, u64: 4096),
      .tensorOutOfBounds(tensor: "w", offset: 4096, bytes: 68, dataBytes: 112))
    expectError(
      patch(b, at: l.tensorOffset, u64: .max - 31),
      .tensorOutOfBounds(tensor: "w", offset: .max - 31, bytes: 68, dataBytes: 112))
    expectError(patch(b, at: l.tensorOffset, u64: 8), .misalignedTensor(tensor: "w", offset: 8, alignment: 32))
    var dup = b
    dup[l.tensorNameLength + 8] = UInt8(ascii: "v")
    expectError(dup, .duplicateTensor("v"))
    var utf8 = b
    utf8[l.tensorNameLength + 8] = 0xFF
    expectError(utf8, .invalidString(at: l.tensorNameLength))
    expectError(Array(b.prefix(3)), .truncated(at: 3, reading: "magic"))
    expectError([], .truncated(at: 0, reading: "magic"))
  }

  /// A cut file says what was being read where it ends, not a count of items.
  func testTruncationSaysWhatWasBeingRead() {
    let l = Self.validFile()
    let b = l.bytes
    func cut(_ at: Int) -> String { message(Array(b.prefix(at))) }
    XCTAssertEqual(cut(20), "<memory>: truncated at byte 20 while reading metadata count")
    XCTAssertEqual(
      cut(l.firstKeyLength + 4), "<memory>: truncated at byte \(l.firstKeyLength + 4) while reading "
        + "the length of the key of metadata entry 1 of 3")
    XCTAssertEqual(
      cut(l.firstKeyLength + 12), "<memory>: truncated at byte \(l.firstKeyLength + 12) while reading "
        + "the key of metadata entry 1 of 3 (20 bytes)")
    XCTAssertEqual(
      cut(l.stringValueLength + 10), "<memory>: truncated at byte \(l.stringValueLength + 10) while reading "
        + "the value of \"general.architecture\" (5 bytes)")
    XCTAssertEqual(
      cut(l.arrayCount + 13), "<memory>: truncated at byte \(l.arrayCount + 13) while reading "
        + "the 3 UINT32 elements of the value of \"test.array\"")
    XCTAssertEqual(
      cut(l.tensorNameLength - 1), "<memory>: truncated at byte \(l.tensorNameLength - 1) while reading "
        + "element 2 of 2 of the value of \"test.strings\" (1 bytes)")
    XCTAssertEqual(
      cut(l.tensorDim0 + 12), "<memory>: truncated at byte \(l.tensorDim0 + 12) while reading "
        + "the dimension 1 of tensor info 1 of 2 (\"w\")")
    XCTAssertEqual(
      cut(l.tensorOffset + 8 + 4), "<memory>: truncated at byte \(l.tensorOffset + 12) while reading "
        + "the length of the name of tensor info 2 of 2")
  }

  /// Errors from a file on disk name it; opening errors say what the path is.
  func testErrorsNameTheFile() throws {
    let dir = TestSupport.temporaryDirectory()
    let path = dir + "/cut.gguf"
    let l = Self.validFile()
    try Data(l.bytes.prefix(l.arrayCount + 13)).write(to: URL(fileURLWithPath: path))
    let truncated = GGUFError.truncated(
      at: l.arrayCount + 13, reading: "the 3 UINT32 elements of the value of \"test.array\"")
    XCTAssertThrowsError(try GGUFFile(path: path)) { error in
      XCTAssertEqual(error as? GGUFError, .inFile(path: path, truncated))
      XCTAssertEqual((error as? GGUFError)?.problem, truncated)
      XCTAssertEqual("\(error)", "\(path): truncated at byte \(l.arrayCount + 13) while reading "
        + "the 3 UINT32 elements of the value of \"test.array\"")
    }
    XCTAssertThrowsError(try Array("GGML".utf8).withUnsafeBytes { try GGUFFile(bytes: $0, path: "x.bin") }) { error in
      XCTAssertEqual("\(error)", "x.bin: not a GGUF file: bad magic \"GGML\" (expected \"GGUF\")")
    }
    XCTAssertThrowsError(try GGUFFile(path: dir)) { error in
      XCTAssertEqual(error as? GGUFError, .cannotOpen(path: dir, reason: "is a directory"))
      XCTAssertEqual("\(error)", "cannot open \(dir): is a directory")
    }
    XCTAssertThrowsError(try GGUFFile(path: "/dev/null")) { error in
      XCTAssertEqual("\(error)", "cannot open /dev/null: is a character device, not a regular file "
        + "(a model must be a file that can be mapped)")
    }
  }

  /// A bool is one byte, 0 or 1; anything else is named as such, alone or in an array.
  func testBoolMustBeZeroOrOne() {
    let single = Self.metadataOnly(count: 1) { b in
      b.string("flag")
      b.u32(7)
      b.bytes.append(5)
    }
    expectError(single, .badBool("the value of \"flag\"", value: 5, at: 40))
    XCTAssertEqual(message(single), "<memory>: the value of \"flag\" is 5 (at byte 40), but a bool must be 0 or 1")
    let array = Self.metadataOnly(count: 1) { b in
      b.string("flags")
      b.u32(9)
      b.u32(7)
      b.u64(3)
      b.bytes += [1, 0, 2]
    }
    expectError(array, .badBool("element 3 of 3 of the value of \"flags\"", value: 2, at: 55))
  }

  /// Numbers and bools in arrays keep the file's bytes: a 16 MiB UINT8 array takes 16 MiB, where one
  /// GGUFValue per element took 24 bytes each (a 100 MB file of such arrays needed 2.5 GB).
  func testNumericArraysAreStoredCompactly() throws {
    let n = 1 << 24
    let bytes = Self.metadataOnly(count: 4) { b in
      b.string("big.u8")
      b.u32(9)
      b.u32(0)
      b.u64(UInt64(n))
      var items = [UInt8](repeating: 0, count: n)
      items[1] = 7
      items[n - 1] = 255
      b.bytes += items
      b.string("small.i32")
      b.u32(9)
      b.u32(5)
      b.u64(3)
      b.u32(7)
      b.u32(UInt32(bitPattern: -1))
      b.u32(1 << 31)
      b.string("small.f64")
      b.u32(9)
      b.u32(12)
      b.u64(2)
      b.u64((-0.5).bitPattern)
      b.u64(Double.infinity.bitPattern)
      b.string("small.bool")
      b.u32(9)
      b.u32(7)
      b.u64(2)
      b.bytes += [0, 1]
    }
    let file = try parse(bytes).get()
    let big = try XCTUnwrap(file["big.u8"]?.elements)
    XCTAssertEqual(big.count, n)
    XCTAssertEqual(big.storageByteCount, n)
    XCTAssertEqual(big[1], .uint8(7))
    XCTAssertEqual(big[n - 1], .uint8(255))
    XCTAssertEqual(big.prefix(3).map(\.int), [0, 7, 0])
    XCTAssertTrue(file.dump(arrayLimit: 2).contains("big.u8 = [0, 7, ... (16777216 total)]"))

    let ints = try XCTUnwrap(file["small.i32"])
    XCTAssertEqual(ints, .array(.int32, [.int32(7), .int32(-1), .int32(.min)]))
    XCTAssertEqual(ints.ints, [7, -1, Int(Int32.min)])
    XCTAssertEqual(ints.elements?.storageByteCount, 12)
    XCTAssertEqual(file["small.f64"]?.floats, [-0.5, .infinity])
    XCTAssertEqual(file["small.f64"], .array(.float64, [.float64(-0.5), .float64(.infinity)]))
    XCTAssertEqual(file["small.bool"], .array(.bool, [.bool(false), .bool(true)]))
    XCTAssertEqual(file["small.bool"]?.elements?.storageByteCount, 2)
    // Built from values, an array packs the same way and compares equal to the parsed one.
    XCTAssertEqual(GGUFArray([.int32(7), .int32(-1), .int32(.min)]).storageByteCount, 12)
    XCTAssertEqual(GGUFArray([.uint8(1), .int8(1)]).count, 2)
    XCTAssertNotEqual(GGUFArray([.float32(.nan)]), GGUFArray([.float32(.nan)]))
    XCTAssertEqual(GGUFArray([.float32(0)]), GGUFArray([.float32(-0.0)]))
  }

  /// Cut the file at every offset: each cut before the end of the tensor data is an error.
  func testTruncationAtEveryOffset() {
    let l = Self.validFile()
    for cut in 0..<l.dataEnd {
      switch parse(Array(l.bytes.prefix(cut))) {
      case .success: XCTFail("a file cut at byte \(cut) parsed")
      case .failure(let error): XCTAssertTrue(error is GGUFError, "cut at \(cut): \(error)")
      }
    }
  }

  /// Every byte of the header replaced by several values: a file or a GGUFError, nothing else.
  func testEveryHeaderByteFlipped() {
    let l = Self.validFile()
    let headerEnd = l.tensorOffset + 8 + 40
    var errors = 0
    for i in 0..<headerEnd {
      for value: UInt8 in [0x00, 0xFF, 0x7F, 0x80, l.bytes[i] ^ 0x01] {
        var corrupt = l.bytes
        corrupt[i] = value
        if case .failure(let error) = parse(corrupt) {
          XCTAssertTrue(error is GGUFError, "byte \(i) = \(value): \(error)")
          errors += 1
        }
      }
    }
    XCTAssertGreaterThan(errors, headerEnd)
  }

  /// A seeded random-mutation fuzzer over the hand-built file and the gguf-package reference file.
  /// CI runs a few thousand inputs; `SSA_FUZZ_SECONDS=60 swift test --filter testFuzz` runs longer.
  func testFuzzRandomMutations() throws {
    let seconds = Double(ProcessInfo.processInfo.environment["SSA_FUZZ_SECONDS"] ?? "") ?? 0
    let minimum = 20_000
    let seeds = [Self.validFile().bytes, Array(try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("gguf/reference.gguf"))))]
    var rng = RandomGenerator(seed: 20261125)
    let interesting: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 32, 1 << 62, .max]
    let start = Date()
    var executions = 0, parsed = 0
    while executions < minimum || Date().timeIntervalSince(start) < seconds {
      var input = seeds[Int(rng.next() % UInt64(seeds.count))]
      for _ in 0..<(1 + Int(rng.next() % 4)) {
        guard !input.isEmpty else { break }
        let at = Int(rng.next() % UInt64(input.count))
        switch rng.next() % 6 {
        case 0: input[at] ^= UInt8(1 << (rng.next() % 8))
        case 1: input[at] = UInt8(truncatingIfNeeded: rng.next())
        case 2:
          let v = interesting[Int(rng.next() % UInt64(interesting.count))]
          let width = [1, 2, 4, 8][Int(rng.next() % 4)]
          for i in 0..<width where at + i < input.count { input[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
        case 3: input.removeSubrange(at..<min(input.count, at + 1 + Int(rng.next() % 16)))
        case 4: input.insert(contentsOf: (0..<(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        default: input = Array(input.prefix(at))
        }
      }
      switch parse(input) {
      case .success(let file):
        parsed += 1
        // Whatever parsed must be safe to use: every tensor view lies inside the input.
        for t in file.tensors { XCTAssertLessThanOrEqual(t.fileOffset + t.byteCount, input.count) }
        _ = file.dump()
      case .failure(let error):
        XCTAssertTrue(error is GGUFError, "\(error)")
      }
      executions += 1
    }
    print("fuzz: \(executions) executions in \(String(format: "%.1f", Date().timeIntervalSince(start))) s, "
      + "\(parsed) parsed, \(executions - parsed) typed errors, 0 crashes")
  }
}
