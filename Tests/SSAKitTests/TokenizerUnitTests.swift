import Foundation
import XCTest
@testable import SSAKit

/// The pieces of the tokenizer on their own: UTF-8 cutting, streaming, the two BPE merge loops.
final class TokenizerUnitTests: XCTestCase {
  /// The hand-written split against HF's Split with the Qwen2 regex, piece for piece, on the corpus.
  func testPreTokenizerMatchesHFSplit() throws {
    let pre = Qwen2PreTokenizer(classes: UnicodeTable.shared.classes)
    var checked = 0
    for row in try TokenizerFixtures.jsonLines("pretokenize.jsonl") {
      let text = try XCTUnwrap(row["text"] as? String)
      let expected = try XCTUnwrap(row["pieces"] as? [String])
      let bytes = Array(text.utf8)
      var pieces: [String] = []
      bytes.withUnsafeBufferPointer { b in
        var i = 0
        while i < b.count {
          let end = pre.pieceEnd(b.baseAddress!, i, b.count)
          pieces.append(String(decoding: b[i..<end], as: UTF8.self))
          i = end
        }
      }
      XCTAssertEqual(pieces.map { Array($0.unicodeScalars) }, expected.map { Array($0.unicodeScalars) }, text.debugDescription)
      checked += 1
    }
    XCTAssertGreaterThan(checked, 1500)
  }

  func testUTF8Boundary() {
    XCTAssertEqual(UTF8Boundary.completePrefix([]), 0)
    XCTAssertEqual(UTF8Boundary.completePrefix([0x41]), 1)
    XCTAssertEqual(UTF8Boundary.completePrefix([0x41, 0xF0, 0x9F, 0x98]), 1)  // 😀 missing its last byte
    XCTAssertEqual(UTF8Boundary.completePrefix([0xF0, 0x9F, 0x98, 0x80]), 4)
    XCTAssertEqual(UTF8Boundary.completePrefix([0xE4, 0xB8]), 0)
    XCTAssertEqual(UTF8Boundary.completePrefix([0xE0, 0x80]), 2)  // can never complete: invalid now
    XCTAssertEqual(UTF8Boundary.completePrefix([0xED, 0xA0]), 2)  // a surrogate: invalid
    XCTAssertEqual(UTF8Boundary.completePrefix([0x80, 0x80, 0x80, 0x80]), 4)
    XCTAssertEqual(UTF8Boundary.completePrefix([0xC0]), 1)
    XCTAssertEqual(UTF8Boundary.completePrefix([0xC3]), 0)
  }

  /// Random id sequences (byte tokens included, so characters are cut anywhere): streaming one id at a
  /// time and finishing gives exactly `decode`, invalid bytes included.
  func testStreamingEqualsDecodeOnRandomIDs() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    var rng = SplitMix(seed: 42)
    let byteIDs = tokenizer.bpeModel.byteIDs.map { Int($0) }
    for _ in 0..<3000 {
      let ids = (0..<Int(rng.next() % 12)).map { _ -> Int in
        rng.next() % 2 == 0 ? byteIDs[Int(rng.next() % UInt64(byteIDs.count))] : Int(rng.next() % 151_936)
      }
      var stream = tokenizer.makeStreamingDecoder()
      var text = ""
      for id in ids {
        let chunk = stream.append(id)
        text += chunk
      }
      text += stream.finish()
      XCTAssertEqual(Array(text.unicodeScalars), Array(tokenizer.decode(ids).unicodeScalars), "\(ids)")
    }
  }

  func testStreamingHoldsBackACutCharacter() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    // "😀" is F0 9F 98 80; feed it as four single-byte tokens.
    let byteTokens = [0xF0, 0x9F, 0x98, 0x80].map { Int(tokenizer.bpeModel.byteIDs[$0]) }
    var stream = tokenizer.makeStreamingDecoder()
    XCTAssertEqual(stream.append(byteTokens[0]), "")
    XCTAssertEqual(stream.append(byteTokens[1]), "")
    XCTAssertEqual(stream.append(byteTokens[2]), "")
    XCTAssertEqual(stream.pendingByteCount, 3)
    XCTAssertEqual(stream.append(byteTokens[3]), "😀")
    XCTAssertEqual(stream.finish(), "")
    // Cut short: the unfinished character becomes U+FFFD only at the end.
    XCTAssertEqual(stream.append(byteTokens[0]), "")
    XCTAssertEqual(stream.finish(), "\u{FFFD}")
  }

  /// The heap merge loop (long words) and the linear one (short words) agree on every word.
  func testHeapAndLinearMergesAgree() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    let words = try TokenizerFixtures.goldens("golden.jsonl").map(\.text).flatMap { $0.split(separator: " ") }
    var rng = SplitMix(seed: 7)
    var checked = 0
    for word in words.prefix(3000) {
      var bytes = Array((" " + word).utf8)
      if bytes.count > BPEModel.linearLimit { bytes = Array(bytes.prefix(BPEModel.linearLimit)) }
      guard bytes.count >= 2 else { continue }
      var linear: [Int] = []
      var heap: [Int] = []
      var bpe = BPEModel(byteIDs: tokenizer.bpeModel.byteIDs, merges: tokenizer.bpeModel.merges)
      bytes.withUnsafeBufferPointer {
        bpe.mergeLinear($0.baseAddress!, $0.count, into: &linear)
        bpe.mergeWithHeap($0.baseAddress!, $0.count, into: &heap)
      }
      XCTAssertEqual(linear, heap, word.debugDescription)
      checked += 1
    }
    for _ in 0..<300 {
      let bytes = (0..<(2 + Int(rng.next() % 60))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      var linear: [Int] = []
      var heap: [Int] = []
      var bpe = BPEModel(byteIDs: tokenizer.bpeModel.byteIDs, merges: tokenizer.bpeModel.merges)
      bytes.withUnsafeBufferPointer {
        bpe.mergeLinear($0.baseAddress!, $0.count, into: &linear)
        bpe.mergeWithHeap($0.baseAddress!, $0.count, into: &heap)
      }
      XCTAssertEqual(linear, heap, "\(bytes)")
    }
    XCTAssertGreaterThan(checked, 1000)
  }

  func testByteEncoderIsGPT2s() {
    XCTAssertEqual(ByteEncoder.token(ofBytes: Array(" hello\n".utf8)), "\u{120}hello\u{10A}")
    for b in 0..<256 {
      XCTAssertEqual(ByteEncoder.bytes(ofToken: ByteEncoder.token(ofBytes: [UInt8(b)])), [UInt8(b)])
    }
    XCTAssertNil(ByteEncoder.bytes(ofToken: " "))
  }

  func testUnicodeTableClasses() {
    let c = UnicodeTable.shared.classes
    XCTAssertEqual(c[0x41] & 7, UnicodeTable.letter)
    XCTAssertEqual(c[0x30] & 7, UnicodeTable.number)
    XCTAssertEqual(c[0x20] & 7, UnicodeTable.space)
    XCTAssertEqual(c[0x2C] & 7, 0)
    XCTAssertEqual(c[0x4E2D] & 7, UnicodeTable.letter)  // 中
    XCTAssertEqual(c[0x0663] & 7, UnicodeTable.number)  // ٣
    XCTAssertEqual(c[0x3000] & 7, UnicodeTable.space)
    XCTAssertEqual(c[0x0301] & UnicodeTable.nfcUnsafe, UnicodeTable.nfcUnsafe)
    XCTAssertEqual(c[0x10FFFF] & 7, 0)
  }
}

/// A small deterministic generator for the random tests.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
