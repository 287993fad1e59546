// The streamed ingest paths (IDX raw and gzipped, synthetic shapes) write the bytes the in-memory
// writer wrote before streaming, and refuse bad IDX data without leaving anything behind.
import Foundation
import TestSupport
import VAECore
import VAEIngest
import VAEShards
import XCTest

final class StreamingIngestTests: XCTestCase {
    func shardBytes(_ directory: String) throws -> [UInt8] {
        let manifest = try ShardDataset(directory: directory).manifest
        return try (manifest.train.shards + manifest.test.shards).flatMap { try FileIO.read(directory + "/" + $0.file) }
    }

    func sha256(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return SHA256.hexString(hasher.finalize())
    }

    /// SHA-256 of all shard files (train then test) that `vae-ingest synthetic --train 300 --test 50
    /// --size 12 --seed 1` wrote with the whole-dataset writer before ingest streamed (commit
    /// 29028a6), for each level, strategy and shard size.
    func testSyntheticShardsAreThoseOfTheWholeDatasetWriter() throws {
        let recorded: [(Int, Zlib.Strategy, Int, String)] = [
            (6, .rle, 64, "bda3a034704d289310ad503de998bcb7d8932fb54e4474c74b71ede2c5bc04f8"),
            (0, .rle, 64, "647f73ad6f6ee422554520b27e14613f02aceddf045eaa15c00ee420c435f9a4"),
            (9, .default, 100, "a27e22d9503401f5ca37a1b3232d973ed3c43788a6324a1908b2b9489d2d52ad"),
            (1, .rle, 1000, "d3efc66be5c1a1ff70383f0a606d7464556bf524be44ce2a4d39efa36bab5edd"),
        ]
        let scratch = try makeScratchDirectory(self)
        for (level, strategy, shardSize, digest) in recorded {
            let out = scratch + "/s\(level)"
            _ = try SyntheticShapes.ingest(train: 300, test: 50, size: 12, seed: 1,
                                           parameters: IngestParameters(shardSize: shardSize, level: level, strategy: strategy), to: out, force: false)
            XCTAssertEqual(sha256(try shardBytes(out)), digest, "level \(level) \(strategy) shards of \(shardSize)")
        }
    }

    func testColorShapesHaveThreeChannelsAndColor() throws {
        let out = try makeScratchDirectory(self) + "/rgb"
        let manifest = try SyntheticShapes.ingest(train: 40, test: 8, size: 10, seed: 3, color: .rgb,
                                                  parameters: IngestParameters(shardSize: 16), to: out, force: false)
        XCTAssertEqual(manifest.image, ImageShape(height: 10, width: 10, channels: 3))
        let dataset = try ShardDataset(directory: out)
        try dataset.verify()
        let block = try dataset.read(dataset.shards(.train)[0])
        var colored = 0
        for i in 0..<(block.pixels.count / 3) where block.pixels[3 * i] != block.pixels[3 * i + 1] || block.pixels[3 * i + 1] != block.pixels[3 * i + 2] {
            colored += 1
        }
        XCTAssertGreaterThan(colored, 100, "shapes are drawn in color")
        // The gray ingest of the same seed draws the same shapes at the same places.
        let gray = SyntheticShapes.images(count: 16, size: 10, seed: 3)  // the first shard's 16
        for i in 0..<(16 * 100) {
            XCTAssertEqual(gray.pixels[i] == 0, block.pixels[3 * i..<3 * i + 3].allSatisfy { $0 == 0 }, "pixel \(i)")
        }
    }

    /// IDX raw and gzipped, read in pieces, give the shards of the same images written from memory.
    func testIDXStreamsTheSameShards() throws {
        let dir = try makeScratchDirectory(self)
        let count = 700, pixels = patternBytes(count: 700 * 20 * 30, seed: 9).map { $0 & 0xE0 }
        let labels = (0..<count).map { UInt8($0 * 7 % 10) }
        let images = IDXFixtures.images(count: count, rows: 20, columns: 30, pixels: pixels)
        try writeFixture(images, in: dir, at: "train.idx")
        try writeFixture(try IDXFixtures.gzip(images), in: dir, at: "train.idx.gz")
        try writeFixture(IDXFixtures.labels(labels), in: dir, at: "labels.idx")
        let parameters = IngestParameters(shardSize: 300)
        let memory = ImageSet(height: 20, width: 30, pixels: pixels, labels: labels.map(UInt16.init))
        let input = IngestInput(train: memory, test: nil, labelNames: IDX.digitNames, source: SourceInfo(kind: "idx", inputs: []))
        _ = try ArtifactWriter.write(input, parameters: parameters, to: dir + "/memory", force: false)
        let expected = try shardBytes(dir + "/memory")
        for name in ["train.idx", "train.idx.gz"] {
            let out = dir + "/" + name + ".art"
            let manifest = try IDXIngest.ingest(
                IDXIngest.Paths(images: dir + "/" + name, labels: dir + "/labels.idx", testImages: nil, testLabels: nil),
                parameters: parameters, to: out, force: false)
            XCTAssertEqual(manifest.train.count, count)
            XCTAssertEqual(manifest.image, ImageShape(height: 20, width: 30))
            XCTAssertEqual(try shardBytes(out), expected, name)
        }
    }

    func testBadIDXLeavesNothing() throws {
        let dir = try makeScratchDirectory(self)
        let images = IDXFixtures.images(count: 50, rows: 4, columns: 4, pixels: [UInt8](repeating: 7, count: 800))
        let gz = try IDXFixtures.gzip(images)
        try writeFixture(Array(gz[0..<gz.count / 2]), in: dir, at: "cut.gz")
        try writeFixture(Array(images[0..<500]), in: dir, at: "short.idx")
        try writeFixture(try IDXFixtures.gzip(images + [1, 2, 3]), in: dir, at: "long.gz")
        try writeFixture(IDXFixtures.labels([UInt8](repeating: 1, count: 49)), in: dir, at: "labels.idx")
        try writeFixture(images, in: dir, at: "good.idx")
        let cases: [(String, String?, DataError.Kind, String)] = [
            ("cut.gz", nil, .truncated, "cut.gz"), ("short.idx", nil, .sizeMismatch, "short.idx"),
            ("long.gz", nil, .sizeMismatch, "long.gz"), ("good.idx", "labels.idx", .countMismatch, "labels.idx"),
        ]
        for (images, labels, kind, named) in cases {
            let scratch = try makeScratchDirectory(self)
            XCTAssertThrowsError(try IDXIngest.ingest(
                IDXIngest.Paths(images: dir + "/" + images, labels: labels.map { dir + "/" + $0 }, testImages: nil, testLabels: nil),
                parameters: IngestParameters(shardSize: 10), to: scratch + "/art", force: false)) { error in
                let error = error as! DataError
                XCTAssertEqual(error.kind, kind, "\(images): \(error)")
                XCTAssertEqual(error.path, dir + "/" + named)
            }
            XCTAssertEqual(directoryListing(scratch), [], images)
        }
    }
}
