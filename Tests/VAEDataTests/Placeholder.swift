import XCTest
final class VAEDataTestsPlaceholder: XCTestCase { func testNothingYet() {} }
