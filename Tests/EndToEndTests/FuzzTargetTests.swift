// The fuzz targets as unit tests: every input of the corpora and every regression (an input that
// once made a reader misbehave) in Tests/Fuzz is replayed on each run, then a few hundred inputs
// drawn from a fixed seed; and the judge itself is checked, so a target cannot pass by judging
// nothing.
import Foundation
import TestSupport
import VAECore
@testable import VAEFuzz
import XCTest

final class FuzzTargetTests: XCTestCase {
    /// Tests/Fuzz, beside this file's folder.
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    private func scratch(_ target: FuzzTarget) throws -> String {
        try makeFixtureFolder(in: try makeScratchDirectory(self), at: target.name)
    }

    func testEveryTargetHasACorpus() {
        for target in FuzzTarget.all {
            XCTAssertFalse(directoryListing(root + "/corpus/" + target.name).isEmpty, target.name)
        }
    }

    func testCorporaAndRegressionsReplayWithoutFailure() throws {
        for target in FuzzTarget.all {
            let dir = try scratch(target)
            for kind in ["corpus", "regressions"] {
                let folder = root + "/" + kind + "/" + target.name
                for file in directoryListing(folder) {
                    XCTAssertNoThrow(try target.run(try FileIO.read(folder + "/" + file, allowEmpty: true), scratch: dir),
                                     "\(target.name) \(kind)/\(file)")
                }
            }
        }
    }

    func testSeededInputsRunWithoutFailure() throws {
        for target in FuzzTarget.all {
            let dir = try scratch(target)
            var inputs = FuzzInputs(seed: 11)
            for i in 0..<(target.name == "manifest" ? 60 : 300) {
                let input = inputs.next()
                XCTAssertNoThrow(try target.run(input, scratch: dir), "\(target.name) input \(i): \(input)")
            }
        }
    }

    /// The empty input lies about nothing: each target's valid file must be read back as written.
    func testTheValidFileOfEveryTargetIsAccepted() throws {
        for target in FuzzTarget.all {
            XCTAssertNoThrow(try target.run([], scratch: try scratch(target)), target.name)
        }
    }

    func testTheJudgeCatchesAReaderThatMisbehaves() throws {
        let honest = FuzzInput([])
        var lying = FuzzInput([255])
        XCTAssertNotEqual(lying.lie(5), 5)
        let named = DataError(.corrupt, "/d/f", "bad")
        // Right: a lying file refused with a one-line DataError naming it.
        XCTAssertFalse(try judge(lying, file: "/d/f") { throw named })
        XCTAssertTrue(try judge(honest, file: "/d/f") {})
        // Wrong: a valid file refused; another file named; two lines; not a DataError.
        XCTAssertThrowsError(try judge(honest, file: "/d/f") { throw named })
        XCTAssertThrowsError(try judge(lying, file: "/d/f") { throw DataError(.corrupt, "/e", "bad") })
        XCTAssertThrowsError(try judge(lying, file: "/d/f") { throw DataError(.corrupt, "/d/f", "bad\nworse") })
        XCTAssertThrowsError(try judge(lying, file: "/d/f") { throw CocoaError(.fileReadUnknown) })
    }
}
