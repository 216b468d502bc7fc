import Foundation
import XCTest
@testable import SSAKit

/// The default model's tokenizer against HF tokenizers on the golden corpus (tools/gen-tokenizer-fixtures).
final class TokenizerGoldenTests: XCTestCase {
  func testEncodeMatchesHFTokenizersOnEveryGolden() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    let goldens = try TokenizerFixtures.goldens("golden.jsonl")
    XCTAssertGreaterThanOrEqual(Set(goldens.map(\.text)).count, 2000)
    var failures = 0
    for g in goldens {
      let ids = tokenizer.encode(g.text, special: g.special)
      if ids != g.ids {
        failures += 1
        if failures <= 10 {
          XCTFail("\(g.category) special=\(g.special) \(g.text.debugDescription.prefix(120)): got \(ids.prefix(40)), expected \(g.ids.prefix(40))")
        }
      }
    }
    XCTAssertEqual(failures, 0, "\(failures) of \(goldens.count) encodings differ from HF tokenizers")
  }

  /// decode(encode(x)) gives x back, except that text is NFC-normalized first (as HF does, so text that
  /// is not in NFC comes back in NFC).
  func testRoundTrip() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    var exact = 0
    for g in try TokenizerFixtures.goldens("golden.jsonl") {
      let back = tokenizer.decode(tokenizer.encode(g.text, special: g.special))
      let nfc = g.text.precomposedStringWithCanonicalMapping
      if Array(g.text.unicodeScalars) == Array(nfc.unicodeScalars) {
        XCTAssertEqual(Array(back.utf8), Array(g.text.utf8), g.text.debugDescription)
        exact += 1
      } else {
        XCTAssertEqual(Array(back.unicodeScalars), Array(nfc.unicodeScalars), g.text.debugDescription)
      }
    }
    XCTAssertGreaterThan(exact, 3500)
  }

  func testDecodeMatchesHFTokenizers() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    var cases = 0
    for row in try TokenizerFixtures.jsonLines("decode.jsonl") {
      if let pairs = row["pairs"] as? [[Any]] {
        for pair in pairs {
          let id = try XCTUnwrap(pair[0] as? Int)
          let text = try XCTUnwrap(pair[1] as? String)
          XCTAssertEqual(Array(tokenizer.decode([id]).unicodeScalars), Array(text.unicodeScalars), "id \(id)")
          cases += 1
        }
      } else {
        let ids = try XCTUnwrap(row["ids"] as? [Int])
        let skip = try XCTUnwrap(row["skip_special"] as? Bool)
        let text = try XCTUnwrap(row["text"] as? String)
        XCTAssertEqual(
          Array(tokenizer.decode(ids, skipSpecialTokens: skip).unicodeScalars), Array(text.unicodeScalars), "\(ids)")
        cases += 1
      }
    }
    XCTAssertGreaterThan(cases, 3000)
  }

  /// Streaming the ids of every golden one at a time gives the same text as decoding them at once, and
  /// never a piece of a character: each emitted chunk is whole UTF-8 of the final text.
  func testStreamingDecoderOnEveryGolden() throws {
    let tokenizer = try TokenizerFixtures.defaultModel().tokenizer
    for g in try TokenizerFixtures.goldens("golden.jsonl") {
      var stream = tokenizer.makeStreamingDecoder()
      var chunks: [String] = []
      for id in g.ids { chunks.append(stream.append(id)) }
      chunks.append(stream.finish())
      let whole = tokenizer.decode(g.ids)
      XCTAssertEqual(chunks.joined(), whole, g.text.debugDescription)
      XCTAssertFalse(chunks.joined().contains("\u{FFFD}") && !whole.contains("\u{FFFD}"))
    }
  }
}
