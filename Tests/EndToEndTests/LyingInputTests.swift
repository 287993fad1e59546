// Files that are well formed but lie: the JSON parses and every checksum matches, but a number is
// absurd (an image side of 2^40, a shard of 2^62 records, a hidden layer of 2^32 units) or two
// numbers disagree (duplicate label names, class counts that do not add up). Each must be a
// DataError naming the file and the field, and each tool must answer it with exit status 1 and one
// line, never a trap, a hang or a huge allocation.
import Foundation
import TestSupport
import VAECore
import VAEIngest
import VAEShards
import VAEModel
import VAETrain
import XCTest

final class LyingInputTests: XCTestCase {
    // MARK: Fixtures

    /// A small labelled artifact (4x4 images, shards of 8) at `dir`/art; returns its directory.
    private func artifact(_ dir: String) throws -> String {
        let out = dir + "/art"
        _ = try ArtifactWriter.write(
            SyntheticShapes.input(train: 20, test: 5, size: 4, seed: 1), parameters: IngestParameters(shardSize: 8),
            to: out, force: false)
        return out
    }

    /// Rewrites the manifest of the artifact at `directory` after `change`; returns its path.
    @discardableResult
    private func editManifest(_ directory: String, _ change: (inout Manifest) -> Void) throws -> String {
        let path = directory + "/manifest.json"
        var manifest = try Manifest.decode(try FileIO.read(path), path: path)
        change(&manifest)
        try AtomicFile.write(try manifest.encoded(), to: path, sync: false)
        return path
    }

    /// Runs each reading tool on the artifact: every one must exit 1 with one line naming `file`
    /// and containing `needle`.
    private func assertToolsRefuse(artifact: String, file: String, needle: String, line: UInt = #line) throws {
        let runs: [(String, [String])] = [
            ("vae-ingest", ["verify", artifact]), ("vae-ingest", ["info", artifact]),
            ("vae-train", ["--data", artifact, "--out", artifact + "-run", "--epochs", "1", "--quiet"]),
        ]
        for (tool, arguments) in runs {
            let result = try runTool(executable(tool), arguments)
            let name = "\(tool) \(arguments[0])"
            XCTAssertEqual(result.status, 1, "\(name): \(result.stderr)", line: line)
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(name): one line: \(result.stderr)", line: line)
            XCTAssertTrue(result.stderr.hasPrefix("\(tool): \(file): "), "\(name): \(result.stderr)", line: line)
            XCTAssertTrue(result.stderr.contains(needle), "\(name): \(result.stderr)", line: line)
        }
    }

    // MARK: Manifests

    func testImageSidesOf2To40AreRefusedByEveryTool() throws {
        let art = try artifact(try makeScratchDirectory(self))
        let path = try editManifest(art) { $0.image.height = 1 << 40; $0.image.width = 1 << 40 }
        assertDataError(.corrupt, path: path, contains: ["image height is 1099511627776", "1 to 16384"]) {
            _ = try ShardDataset(directory: art)
        }
        try assertToolsRefuse(artifact: art, file: path, needle: "image height")
    }

    func testZeroAndNegativeSizesAreRefused() throws {
        let art = try artifact(try makeScratchDirectory(self))
        let path = try editManifest(art) { $0.image.width = 0 }
        assertDataError(.corrupt, path: path, contains: ["image width is 0"]) { _ = try ShardDataset(directory: art) }
        try editManifest(art) { $0.image.width = 4; $0.test.shards[0].records = -5 }
        assertDataError(.corrupt, path: path, contains: ["test shard", "records is -5"]) { _ = try ShardDataset(directory: art) }
    }

    func testRecordCountsNear2To62AreRefusedByEveryTool() throws {
        let art = try artifact(try makeScratchDirectory(self))
        let path = try editManifest(art) { m in
            m.train.count = 1 << 62
            m.train.shards[0].records = 1 << 62
            m.train.shards[0].rawBytes = (1 << 62) &* 18
        }
        assertDataError(.corrupt, path: path, contains: ["records is 4611686018427387904"]) {
            _ = try ShardDataset(directory: art)
        }
        try assertToolsRefuse(artifact: art, file: path, needle: "records")

        // Within the 32-bit record limit, the payload (records x 18 bytes) is over the shard limit.
        try editManifest(art) { m in
            m.train.shards[0].records = Int(UInt32.max)
            m.train.shards[0].rawBytes = Int(UInt32.max) * 18
        }
        assertDataError(.tooLarge, path: path, contains: ["4294967295 x 18", "over the limit of 4294967296"]) {
            _ = try ShardDataset(directory: art)
        }

        // Shards as written, a split count near 2^62: the counts disagree.
        let fresh = try artifact(try makeScratchDirectory(self))
        let freshPath = try editManifest(fresh) { $0.test.count = (1 << 62) + 5 }
        assertDataError(.countMismatch, path: freshPath, contains: ["4611686018427387909", "hold 5"]) {
            _ = try ShardDataset(directory: fresh)
        }
    }

    func testDuplicateLabelNamesAreRefusedByEveryTool() throws {
        let art = try artifact(try makeScratchDirectory(self))
        let names = try ShardDataset(directory: art).manifest.labelNames!
        let path = try editManifest(art) { $0.labelNames![1] = names[0] }
        assertDataError(.corrupt, path: path, contains: ["label_names lists '\(names[0])' twice"]) {
            _ = try ShardDataset(directory: art)
        }
        try assertToolsRefuse(artifact: art, file: path, needle: "twice")
    }

    func testClassCountsThatDisagreeWithTheSplitAreRefused() throws {
        let art = try artifact(try makeScratchDirectory(self))
        let path = try editManifest(art) { $0.train.classCounts![0] += 1 }
        assertDataError(.countMismatch, path: path, contains: ["train class counts add up to 21", "counts 20"]) {
            _ = try ShardDataset(directory: art)
        }
        try editManifest(art) { $0.train.classCounts![0] = -1 }
        assertDataError(.corrupt, path: path, contains: ["train.class_counts[0] is -1"]) { _ = try ShardDataset(directory: art) }
    }

    func testLabelledDataWithoutClassCountsIsRefused() throws {
        let art = try artifact(try makeScratchDirectory(self))
        let path = try editManifest(art) { $0.train.classCounts = nil }
        assertDataError(.corrupt, path: path, contains: ["train.class_counts is missing"]) { _ = try ShardDataset(directory: art) }
    }

    func testAManifestWhosePayloadChecksumDisagreesWithTheShardIsRefused() throws {
        let art = try artifact(try makeScratchDirectory(self))
        try editManifest(art) { $0.test.shards[0].payloadCrc32 ^= 1 }
        let dataset = try ShardDataset(directory: art)
        let shard = art + "/" + dataset.shards(.test)[0].file
        assertDataError(.corrupt, path: shard, contains: ["disagrees with the manifest"]) { try dataset.verify() }
    }

    // MARK: Shard headers

    /// A valid shard of 6 unlabelled 4x5 images whose header field at `offset` is replaced by
    /// `value` (little-endian, `size` bytes) and whose header CRC is recomputed.
    private func lyingShard(offset: Int, size: Int, value: UInt64) throws -> [UInt8] {
        var bytes = try patternBytes(count: 6 * 20, seed: 5).withUnsafeBufferPointer {
            try Shard.encode(pixels: $0, labels: nil, shape: ImageShape(height: 4, width: 5), level: 6)
        }
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        let crc = bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<52])) }
        for i in 0..<4 { bytes[52 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return bytes
    }

    func testShardHeadersThatLieAreErrorsNotTraps() throws {
        let cases: [(offset: Int, size: Int, value: UInt64, kind: DataError.Kind, needle: String)] = [
            (16, 4, 1 << 31, .corrupt, "shard header image height is 2147483648"),  // pixels overflowed here
            (24, 4, 0xFFFF_FFFF, .corrupt, "channels is 4294967295"),
            (12, 4, 0, .corrupt, "0 records"),
            (12, 4, 0xFFFF_FFFF, .tooLarge, "over the limit"),  // 2^32 - 1 records of 22 bytes
            (28, 4, 0xFFFF_FFFF, .corrupt, "record size 4294967295"),
            (32, 8, .max, .corrupt, "payload size 18446744073709551615"),
            (40, 8, .max, .corrupt, "compressed size 18446744073709551615"),  // Int(UInt64) trapped here
            (40, 8, 1 << 40, .corrupt, "compressed size 1099511627776"),
        ]
        for c in cases {
            let bytes = try lyingShard(offset: c.offset, size: c.size, value: c.value)
            assertDataError(c.kind, path: "s.shard", contains: [c.needle]) { _ = try Shard.decode(bytes, path: "s.shard") }
        }
    }

    // MARK: Checkpoints

    /// A valid checkpoint whose JSON header is changed by `change` and whose header length and
    /// trailing CRC are recomputed: it passes every checksum.
    private func lyingCheckpoint(_ change: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let model = try VAE(config: ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 2), seed: 1)
        let bytes = try model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                         image: ImageShape(height: 3, width: 2), dataIdentity: "d").encoded()
        let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        var header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes[16..<16 + length])) as? [String: Any])
        change(&header)
        let json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        var out = Array(bytes[0..<12])
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: json.count >> (8 * i))) }
        out += json + bytes[(16 + length)..<(bytes.count - 4)]
        let crc = Zlib.crc32(out)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i)))) }
        return out
    }

    private func setting(_ group: String, _ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { header in
            var inner = header[group] as! [String: Any]
            inner[key] = value
            header[group] = inner
        }
    }

    func testCheckpointHeadersThatLieAreErrorsNotTraps() throws {
        // The CRC is right in each: only the limits catch them.
        let cases: [((inout [String: Any]) -> Void, String)] = [
            (setting("config", "hiddenSizes", [1 << 32, 1 << 32]), "hidden layer 1 has width 4294967296, over the limit of 65536"),
            (setting("config", "hiddenSizes", Array(repeating: 5, count: 65)), "65 hidden layers"),
            (setting("config", "inputSize", 1 << 50), "input size is 1125899906842624"),
            (setting("config", "latentSize", 1 << 40), "latent size is 1099511627776"),
            (setting("settings", "mcSamples", 1 << 40), "samples per example is 1099511627776"),
            (setting("settings", "batchSize", 1 << 40), "batch size is 1099511627776"),
            ({ $0["epoch"] = -1 }, "epoch -1"),
            ({ $0["threads"] = 1 << 40 }, "threads is 1099511627776"),
            ({ $0["imageHeight"] = 1 << 40 }, "image shape 1099511627776 x 2 x 1"),
            ({ $0["imageChannels"] = 2 }, "image shape 3 x 2 x 2 does not describe the model's 6 inputs"),
        ]
        for (change, needle) in cases {
            let bytes = try lyingCheckpoint(change)
            assertDataError(.corrupt, path: "m.ckpt", contains: [needle]) { _ = try Checkpoint.decode(bytes, path: "m.ckpt") }
        }
        // Through the tools that read checkpoints: exit 1, one line naming the file.
        let dir = try makeScratchDirectory(self)
        let path = dir + "/lying.ckpt"
        try AtomicFile.write(try lyingCheckpoint(cases[0].0), to: path, sync: false)
        for arguments in [["vae-embed", "--checkpoint", path, "--data", dir, "--out", dir + "/l.csv"],
                          ["vae-generate", "samples", "--checkpoint", path, "--out", dir + "/s.png"]] {
            let result = try runTool(executable(arguments[0]), Array(arguments.dropFirst()))
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(path + ": "), result.stderr)
            XCTAssertTrue(result.stderr.contains("over the limit of 65536"), result.stderr)
        }
        XCTAssertEqual(directoryListing(dir), ["lying.ckpt"])
    }

    // MARK: Compressed data

    func testAnExpectedSizeThatLiesCostsOnlyWhatTheDataHolds() throws {
        let data = patternBytes(count: 1000, seed: 9)
        let compressed = try data.withUnsafeBytes { try Zlib.compress($0, level: 6) }
        // 2^40 bytes announced, 1000 inside: an error, not a terabyte allocation.
        assertDataError(.corrupt, path: "z", contains: ["holds 1000 bytes, expected 1099511627776"]) {
            _ = try compressed.withUnsafeBytes { try Zlib.decompress($0, expectedSize: 1 << 40, path: "z") }
        }
    }
}
