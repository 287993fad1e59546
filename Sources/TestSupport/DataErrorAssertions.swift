// The one check every bad-input test makes: the right kind of `DataError`, naming the right file,
// in one line, saying what it should.
import VAECore
import XCTest

/// Asserts that `body` throws a `DataError` of `kind` about `path`, whose one-line description is
/// `path: detail` and whose detail contains each of `needles`.
public func assertDataError(
    _ kind: DataError.Kind, path: String, contains needles: [String] = [],
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard let error = error as? DataError else { return XCTFail("not a DataError: \(error)", file: file, line: line) }
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertEqual(error.path, path, "\(error)", file: file, line: line)
        XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description, file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), error.description, file: file, line: line)
        for needle in needles {
            XCTAssertTrue(error.detail.contains(needle), "'\(error.detail)' lacks '\(needle)'", file: file, line: line)
        }
    }
}
