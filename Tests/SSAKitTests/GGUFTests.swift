import XCTest
@testable import SSAKit

final class GGUFSmokeTests: XCTestCase {
  func testTypeSizes() {
    XCTAssertEqual(GGMLType.q8_0.byteCount(elements: 64), 68)
    XCTAssertEqual(GGMLType.q4_K.byteCount(elements: 256), 144)
    XCTAssertNil(GGMLType.q4_0.byteCount(elements: 33))
  }
}
