import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEShards
import XCTest

/// The built `vae-ingest` on small generated files.
final class IngestCommandTests: XCTestCase {
    private let tool = executable("vae-ingest")

    private func writeBytes(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFile.write(bytes, to: path)
    }

    private func idxFiles(_ dir: String, count: Int = 30) throws -> [String] {
        let images = IDXFixtures.images(count: count, rows: 5, columns: 4, pixels: patternBytes(count: count * 5 * 4, seed: 3))
        let labels = IDXFixtures.labels((0..<count).map { UInt8($0 % 10) })
        try writeBytes(try IDXFixtures.gzip(images), to: dir + "/train-images.gz")
        try writeBytes(labels, to: dir + "/train-labels")
        try writeBytes(IDXFixtures.images(count: 8, rows: 5, columns: 4, pixels: patternBytes(count: 8 * 5 * 4, seed: 4)), to: dir + "/test-images")
        try writeBytes(try IDXFixtures.gzip(IDXFixtures.labels((0..<8).map { UInt8($0) })), to: dir + "/test-labels.gz")
        return ["--images", dir + "/train-images.gz", "--labels", dir + "/train-labels",
                "--test-images", dir + "/test-images", "--test-labels", dir + "/test-labels.gz"]
    }

    func testIngestVerifyInfoAndDeterminism() throws {
        let dir = try makeScratchDirectory(self)
        let inputs = try idxFiles(dir)
        var result = try runTool(tool, ["idx"] + inputs + ["--out", dir + "/a", "--shard-size", "7"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("30 train + 8 test"), result.stdout)
        XCTAssertEqual(result.stderr, "", "a test split: no notice")
        result = try runTool(tool, ["idx"] + inputs + ["--out", dir + "/b", "--shard-size", "7"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for name in directoryListing(dir + "/a") {
            XCTAssertEqual(try FileIO.read(dir + "/a/" + name), try FileIO.read(dir + "/b/" + name), name)
        }
        XCTAssertEqual(directoryListing(dir + "/a").filter { $0.hasPrefix("train-") }.count, 5)

        result = try runTool(tool, ["verify", dir + "/a"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try runTool(tool, ["info", dir + "/a", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try JSONCoding.decode(ArtifactSummary.self, from: Array(result.stdout.utf8), path: "stdout")
        XCTAssertEqual(summary.train.count, 30)
        XCTAssertEqual(summary.test.classes?["7"], 1)
        XCTAssertEqual(summary.image, ImageShape(height: 5, width: 4))

        // Damage one shard: verify names it and fails.
        let shard = dir + "/a/train-00002.shard"
        var bytes = try FileIO.read(shard)
        bytes[bytes.count - 3] ^= 0x10
        try AtomicFile.write(bytes, to: shard)
        result = try runTool(tool, ["verify", dir + "/a"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("train-00002.shard"), result.stderr)
    }

    /// Without --test-images: a one-line notice naming the options that make a test split.
    func testNoTestSplitNotice() throws {
        let dir = try makeScratchDirectory(self)
        let inputs = try idxFiles(dir)
        let result = try runTool(tool, ["idx"] + Array(inputs.prefix(4)) + ["--out", dir + "/a"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("30 train + 0 test"), result.stdout)
        XCTAssertEqual(result.stderr, "vae-ingest: notice: no test split; --test-images FILE (with --test-labels FILE for labelled data) makes one\n")
    }

    /// Each bad input: a non-zero exit, one line naming the file, and no artifact.
    func testBadInputsGiveOneLineAndNoArtifact() throws {
        let dir = try makeScratchDirectory(self)
        let good = try idxFiles(dir)
        try writeBytes([], to: dir + "/empty")
        try writeBytes(Array(try IDXFixtures.gzip(IDXFixtures.images(count: 30, rows: 5, columns: 4, pixels: patternBytes(count: 30 * 5 * 4, seed: 3))).prefix(60)), to: dir + "/cut.gz")
        var wrongMagic = IDXFixtures.images(count: 2, rows: 2, columns: 2, pixels: patternBytes(count: 2 * 2 * 2, seed: 1))
        wrongMagic[0] = 7
        try writeBytes(wrongMagic, to: dir + "/magic")
        try writeBytes(Array(IDXFixtures.images(count: 30, rows: 5, columns: 4, pixels: patternBytes(count: 30 * 5 * 4, seed: 3)).dropLast(5)), to: dir + "/short")
        try writeBytes(IDXFixtures.labels([1, 2, 3]), to: dir + "/three-labels")
        try writeBytes(IDXFixtures.labels([UInt8](repeating: 200, count: 30)), to: dir + "/bad-labels")
        let cases: [(String, [String])] = [
            ("missing", ["--images", dir + "/nope"]),
            ("empty", ["--images", dir + "/empty"]),
            ("cut.gz", ["--images", dir + "/cut.gz"]),
            ("magic", ["--images", dir + "/magic"]),
            ("short", ["--images", dir + "/short"]),
            ("three-labels", ["--images", good[1], "--labels", dir + "/three-labels"]),
            ("bad-labels", ["--images", good[1], "--labels", dir + "/bad-labels"]),
        ]
        for (name, arguments) in cases {
            let out = dir + "/out-" + name
            let result = try runTool(tool, ["idx"] + arguments + ["--out", out])
            XCTAssertNotEqual(result.status, 0, name)
            // Exactly one line: one newline, at the end (split(separator:) would skip empty lines).
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasSuffix("\n") && result.stderr.hasPrefix("vae-ingest: "), "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(name == "missing" ? "nope" : name), "\(name): \(result.stderr)")
            XCTAssertFalse(FileIO.exists(out), name)
        }
        XCTAssertEqual(directoryListing(dir).filter { $0.hasPrefix(".") }, [], "no temporary directories left")
    }

    func testPNGFolderAndExistingOutput() throws {
        let dir = try makeScratchDirectory(self)
        for (label, value) in [("cat", UInt8(10)), ("dog", UInt8(200))] {
            for i in 0..<3 {
                try writeBytes(try PNGCodec.encodeGray(GrayImage(width: 3, height: 2, pixels: [UInt8](repeating: value &+ UInt8(i), count: 6))), to: "\(dir)/png/\(label)/\(i).png")
            }
        }
        var result = try runTool(tool, ["png", "--root", dir + "/png", "--out", dir + "/art"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let dataset = try ShardDataset(directory: dir + "/art")
        XCTAssertEqual(dataset.manifest.labelNames, ["cat", "dog"])
        XCTAssertEqual(try dataset.read(dataset.shards(.train)[0]).labels, [0, 0, 0, 1, 1, 1])
        result = try runTool(tool, ["png", "--root", dir + "/png", "--out", dir + "/art"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--force"), result.stderr)
        try writeBytes(Array("not a png".utf8), to: dir + "/png/dog/3.png")
        result = try runTool(tool, ["png", "--root", dir + "/png", "--out", dir + "/art2"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("dog/3.png"), result.stderr)
        XCTAssertFalse(FileIO.exists(dir + "/art2"))
    }
}
