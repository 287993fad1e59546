// The stop flag the work loops poll, and the list of temporary files an exit on a signal removes.
import Foundation
import TestSupport
import VAECore
import XCTest

final class InterruptionTests: XCTestCase {
    func testTheFlagKeepsTheFirstSignal() {
        let flag = StopFlag()
        XCTAssertFalse(flag.isRequested)
        XCTAssertNil(flag.signal)
        XCTAssertNoThrow(try flag.check())
        flag.request(signal: SIGINT)
        flag.request(signal: SIGTERM)
        XCTAssertTrue(flag.isRequested)
        XCTAssertEqual(flag.signal, SIGINT)
        XCTAssertThrowsError(try flag.check()) {
            XCTAssertEqual($0 as? Interrupted, Interrupted(signal: SIGINT))
            XCTAssertEqual(($0 as? InterruptionError)?.interruptingSignal, SIGINT)
        }
        XCTAssertEqual(Interrupted(signal: SIGINT).exitStatus, 130)
        XCTAssertEqual(Interrupted(signal: SIGTERM).exitStatus, 143)
    }

    func testAFileBeingWrittenIsListedUntilCommittedOrAbandoned() throws {
        let dir = try makeScratchDirectory(self)
        let writer = try AtomicFileWriter(path: dir + "/a.bin")
        XCTAssertTrue(TemporaryFiles.current.contains(writer.temporaryPath))
        try [UInt8](repeating: 7, count: 10).withUnsafeBytes { try writer.write($0) }
        XCTAssertEqual(directoryListing(dir), [".a.bin.tmp-\(getpid())"], "only the temporary name exists")
        try writer.commit()
        XCTAssertFalse(TemporaryFiles.current.contains(writer.temporaryPath))
        XCTAssertEqual(directoryListing(dir), ["a.bin"])
        XCTAssertEqual(try FileIO.read(dir + "/a.bin"), [UInt8](repeating: 7, count: 10))

        let abandoned = try AtomicFileWriter(path: dir + "/b.bin")
        abandoned.abandon()
        XCTAssertFalse(TemporaryFiles.current.contains(abandoned.temporaryPath))
        XCTAssertEqual(directoryListing(dir), ["a.bin"])
    }

    func testRemoveAllDeletesTheFilesBeingWritten() throws {
        let dir = try makeScratchDirectory(self)
        let writer = try AtomicFileWriter(path: dir + "/c.bin")
        try [UInt8](repeating: 1, count: 3).withUnsafeBytes { try writer.write($0) }
        TemporaryFiles.removeAll()
        XCTAssertEqual(directoryListing(dir), [], "what an exit on a signal leaves")
        XCTAssertTrue(TemporaryFiles.current.isEmpty)
        XCTAssertThrowsError(try writer.commit(), "its file is gone: the rename fails and says so")
        XCTAssertEqual(directoryListing(dir), [])
    }

    func testAFailedCreateIsNotListed() throws {
        let dir = try makeScratchDirectory(self)
        XCTAssertThrowsError(try AtomicFileWriter(path: dir + "/missing/d.bin")) {
            XCTAssertEqual(($0 as? DataError)?.kind, .io)
        }
        XCTAssertFalse(TemporaryFiles.current.contains { $0.hasPrefix(dir) })
    }
}
