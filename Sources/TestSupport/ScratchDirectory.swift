// A fresh directory under /tmp for one test, removed when the test ends.
import Foundation
import XCTest

/// Creates a unique empty directory and registers its removal with the test case.
public func makeScratchDirectory(_ test: XCTestCase, function: String = #function) throws -> String {
    let name = "vae-test-\(function.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent(name)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The names in a directory, sorted; empty when it does not exist.
public func directoryListing(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// Deterministic pseudo-random bytes (a linear congruential sequence) for test data.
public func patternBytes(count: Int, seed: UInt32) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}
