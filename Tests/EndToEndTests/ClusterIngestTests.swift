// vae-ingest under `mpirun -np 2 --oversubscribe` (on a 2-core machine) against one process: the
// ranks share the shards, and the artifact is the one process's, byte for byte, for IDX files, a
// photo folder with a bad file skipped, and synthetic shapes; a bad file met by rank 1 ends the
// job with one message naming the rank and the file, and leaves nothing.
import Foundation
import TestSupport
import VAECore
import VAEShards
import XCTest

final class ClusterIngestTests: XCTestCase {
    private let ingest = executable("vae-ingest")

    /// Runs `arguments` (without --out) as one process into `dir/one` and under mpirun -np 2 into
    /// `dir/two`, and checks that both wrote the same files with the same bytes.
    private func assertSameArtifact(_ arguments: [String], in dir: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var result = try runTool(ingest, arguments + ["--out", dir + "/one"])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        result = try runUnderMpirun(2, ingest, arguments + ["--out", dir + "/two"])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let names = directoryListing(dir + "/one")
        XCTAssertGreaterThan(names.filter { $0.hasSuffix(".shard") }.count, 2, "several shards to deal", file: file, line: line)
        XCTAssertEqual(directoryListing(dir + "/two"), names, file: file, line: line)
        for name in names {
            XCTAssertEqual(try FileIO.read(dir + "/two/" + name), try FileIO.read(dir + "/one/" + name), name, file: file, line: line)
        }
        XCTAssertEqual(directoryListing(dir).filter { $0.hasPrefix(".") }, [], "a temporary directory left behind", file: file, line: line)
    }

    /// 40 textured JPEGs of 64x48 in two class folders (photo n in class-(n mod 2)), and a file
    /// named .jpg that is not a JPEG, `class-1/bad.jpg`: file 20 of 41 in sorted order, so with
    /// one thread per rank (windows of 32 files, 16 per rank) rank 1 prepares it.
    private func photos(_ dir: String) throws -> String {
        let root = dir + "/photos"
        let result = try runTool(ingest, ["make-photos", "--out", root, "--count", "40", "--classes", "2", "--size", "64x48"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try writeFixture(Array("not a JPEG".utf8), in: root, at: "class-1/bad.jpg")
        return root
    }

    func testTwoRanksWriteTheOneProcessPhotoArtifactSkippingABadFile() throws {
        let dir = try makeScratchDirectory(self)
        let root = try photos(dir)
        try assertSameArtifact(["images", "--root", root, "--size", "16x12", "--color", "rgb", "--skip-bad", "--test-fraction", "0.25",
                                "--shard-size", "5", "--threads", "1", "--quiet"], in: dir)
        let manifest = try ShardDataset(directory: dir + "/two").manifest
        XCTAssertEqual(manifest.skipped?.map(\.path), ["class-1/bad.jpg"])
        XCTAssertEqual(manifest.train.count + manifest.test.count, 40)
    }

    func testTwoRanksWriteTheOneProcessIDXArtifact() throws {
        let dir = try makeScratchDirectory(self)
        let count = 300, side = 7
        var images: [UInt8] = [0, 0, 8, 3, 0, 0, UInt8(count >> 8), UInt8(count & 255), 0, 0, 0, UInt8(side), 0, 0, 0, UInt8(side)]
        images += patternBytes(count: count * side * side, seed: 3)
        var labels: [UInt8] = [0, 0, 8, 1, 0, 0, UInt8(count >> 8), UInt8(count & 255)]
        labels += (0..<count).map { UInt8($0 * 7 % 10) }
        try AtomicFile.write(images, to: dir + "/images.idx")
        try AtomicFile.write(labels, to: dir + "/labels.idx")
        try assertSameArtifact(["idx", "--images", dir + "/images.idx", "--labels", dir + "/labels.idx", "--shard-size", "40", "--quiet"],
                               in: dir)
    }

    func testTwoRanksWriteTheOneProcessSyntheticArtifact() throws {
        let dir = try makeScratchDirectory(self)
        try assertSameArtifact(["synthetic", "--train", "500", "--test", "90", "--size", "10", "--color", "rgb", "--shard-size", "64",
                                "--quiet"], in: dir)
    }

    func testABadFileMetByRankOneEndsTheJobNamingRankAndFile() throws {
        let dir = try makeScratchDirectory(self)
        let root = try photos(dir)
        let arguments = ["images", "--root", root, "--size", "16x12", "--shard-size", "5", "--threads", "1", "--out", dir + "/art"]
        // The ranks agree on the failure and exit together: one line, no MPI_Abort (mpirun -q
        // leaves out mpirun's own report of a non-zero exit).
        var result = try runUnderMpirun(2, ingest, arguments, quiet: true)
        XCTAssertEqual(result.status, 1)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, result.stderr)  // one line and its newline
        XCTAssertTrue(lines[0].hasPrefix("vae-ingest: rank 1: \(root)/class-1/bad.jpg: not a PNG or JPEG file"), result.stderr)
        XCTAssertEqual(directoryListing(dir).sorted(), ["photos"], "nothing written beside the photos")
        result = try runUnderMpirun(2, ingest, arguments)
        XCTAssertEqual(result.status, 1)
        XCTAssertFalse(result.stderr.contains("MPI_ABORT"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.hasPrefix("vae-") }.count, 1, result.stderr)
        XCTAssertEqual(directoryListing(dir).sorted(), ["photos"], "nothing written beside the photos")
    }
}
