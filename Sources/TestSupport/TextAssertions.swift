// Assertions on the text the tools write.
import Foundation
import XCTest

/// Fails when `text` holds NaN as a word (`nan`, `NaN`, `-nan`, in any case): a figure that does
/// not exist must read n/a, `null` or an empty field.
public func assertNoNaN(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let range = text.range(of: "\\bnan\\b", options: [.regularExpression, .caseInsensitive]) else { return }
    let start = text.index(range.lowerBound, offsetBy: -40, limitedBy: text.startIndex) ?? text.startIndex
    let end = text.index(range.upperBound, offsetBy: 40, limitedBy: text.endIndex) ?? text.endIndex
    XCTFail("\(what) holds NaN: ...\(text[start ..< end])...", file: file, line: line)
}
