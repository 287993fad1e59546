import Foundation
import TestSupport
import VAECore
import XCTest
import VAEShards

final class ShardArtifactTests: XCTestCase {
    /// 10 train and 3 test images of 4x3 pixels with labels 0...2.
    private func smallInput() -> IngestInput {
        let train = ImageSet(height: 4, width: 3, pixels: patternBytes(count: 10 * 12, seed: 1), labels: (0..<10).map { UInt16($0 % 3) })
        let test = ImageSet(height: 4, width: 3, pixels: patternBytes(count: 3 * 12, seed: 2), labels: [2, 1, 0])
        return IngestInput(
            train: train, test: test, labelNames: ["a", "b", "c"],
            source: SourceInfo(kind: "idx", inputs: [InputFile(role: "train-images", path: "x", bytes: 1, sha256: "00")]))
    }

    private func writeSmall(_ out: String, shardSize: Int = 4) throws -> Manifest {
        try ArtifactWriter.write(smallInput(), parameters: IngestParameters(shardSize: shardSize, level: 6), to: out, force: false)
    }

    func testRoundTripThroughShardsAndManifest() throws {
        let out = try makeScratchDirectory(self) + "/art"
        let manifest = try writeSmall(out)
        XCTAssertEqual(manifest.train.count, 10)
        XCTAssertEqual(manifest.train.shards.map(\.records), [4, 4, 2])
        XCTAssertEqual(manifest.train.shards.map(\.firstRecord), [0, 4, 8])
        XCTAssertEqual(manifest.test.shards.map(\.file), ["test-00000.shard"])
        XCTAssertEqual(manifest.train.classCounts, [4, 3, 3])
        XCTAssertEqual(directoryListing(out), ["manifest.json", "test-00000.shard", "train-00000.shard", "train-00001.shard", "train-00002.shard"])

        let dataset = try ShardDataset(directory: out)
        XCTAssertEqual(dataset.manifest, manifest)
        var pixels = [UInt8](), labels = [UInt16]()
        let stream = dataset.stream(.train)
        while let block = try stream.next() {
            pixels += block.pixels
            labels += block.labels
        }
        XCTAssertEqual(pixels, smallInput().train.pixels)
        XCTAssertEqual(labels, smallInput().train.labels)
        XCTAssertEqual(try dataset.read(dataset.shards(.test)[0]).labels, [2, 1, 0])
        XCTAssertNoThrow(try dataset.verify())
    }

    func testBothDeflateStrategiesGiveTheSameData() throws {
        let dir = try makeScratchDirectory(self)
        var pixels = [[UInt8]]()
        for strategy in Zlib.Strategy.allCases {
            let out = dir + "/" + strategy.rawValue
            let manifest = try ArtifactWriter.write(
                smallInput(), parameters: IngestParameters(shardSize: 4, level: 9, strategy: strategy), to: out, force: false)
            XCTAssertEqual(manifest.parameters.strategy, strategy)
            let dataset = try ShardDataset(directory: out)
            XCTAssertNoThrow(try dataset.verify())
            pixels.append(try dataset.shards(.train).flatMap { try dataset.read($0).pixels })
        }
        XCTAssertEqual(pixels[0], smallInput().train.pixels)
        XCTAssertEqual(pixels[1], pixels[0])
        let run = [UInt8](repeating: 7, count: 10_000)
        let rle = try run.withUnsafeBytes { try Zlib.compress($0, level: 6, strategy: .rle) }
        XCTAssertLessThan(rle.count, 200, "a run of one byte compresses to almost nothing")
        XCTAssertEqual(try rle.withUnsafeBytes { try Zlib.decompress($0, expectedSize: run.count, path: "run") }, run)
    }

    func testStreamFollowsTheGivenShardOrder() throws {
        let out = try makeScratchDirectory(self) + "/art"
        _ = try writeSmall(out)
        let dataset = try ShardDataset(directory: out)
        let stream = dataset.stream(.train, order: [2, 0, 1], lookahead: 1)
        var firstLabels = [UInt16]()
        while let block = try stream.next() { firstLabels.append(block.labels[0]) }
        XCTAssertEqual(firstLabels, [8 % 3, 0, 4 % 3].map(UInt16.init))
    }

    func testUnlabelledData() throws {
        let out = try makeScratchDirectory(self) + "/art"
        var input = smallInput()
        input.train.labels = nil
        input.test = nil
        input.labelNames = nil
        let manifest = try ArtifactWriter.write(input, parameters: IngestParameters(), to: out, force: false)
        XCTAssertNil(manifest.labelNames)
        XCTAssertEqual(manifest.test.count, 0)
        let block = try ShardDataset(directory: out).read(manifest.train.shards[0])
        XCTAssertEqual(block.labels, [UInt16](repeating: Shard.unlabelled, count: 10))
    }

    func testSameInputGivesIdenticalBytes() throws {
        let dir = try makeScratchDirectory(self)
        _ = try writeSmall(dir + "/one")
        _ = try writeSmall(dir + "/two")
        for name in directoryListing(dir + "/one") {
            XCTAssertEqual(try FileIO.read(dir + "/one/" + name), try FileIO.read(dir + "/two/" + name), name)
        }
    }

    func testExistingOutputNeedsForceAndIsKeptOnFailure() throws {
        let out = try makeScratchDirectory(self) + "/art"
        _ = try writeSmall(out)
        XCTAssertThrowsError(try writeSmall(out)) { XCTAssertEqual(($0 as? DataError)?.kind, .alreadyExists) }
        var bad = smallInput()
        bad.train.labels![3] = 7
        XCTAssertThrowsError(try ArtifactWriter.write(bad, parameters: IngestParameters(), to: out, force: true)) {
            XCTAssertEqual(($0 as? DataError)?.kind, .labelOutOfRange)
        }
        XCTAssertNoThrow(try ShardDataset(directory: out).verify(), "the old artifact survives a failed --force")
        XCTAssertEqual(directoryListing(URL(fileURLWithPath: out).deletingLastPathComponent().path), ["art"], "no temporary left behind")
        XCTAssertNoThrow(try ArtifactWriter.write(smallInput(), parameters: IngestParameters(shardSize: 100), to: out, force: true))
        XCTAssertEqual(try ShardDataset(directory: out).shards(.train).count, 1)
    }

    func testAKilledWritersTemporaryIsRemovedByTheNextWrite() throws {
        let dir = try makeScratchDirectory(self)
        let abandoned = dir + "/.art.tmp-999999999"  // no such process
        try FileManager.default.createDirectory(atPath: abandoned, withIntermediateDirectories: false)
        _ = try writeSmall(dir + "/art")
        XCTAssertEqual(directoryListing(dir), ["art"])
    }

    func testFailedWriteLeavesNothing() throws {
        let dir = try makeScratchDirectory(self)
        var bad = smallInput()
        bad.test!.labels = [0, 1]
        XCTAssertThrowsError(try ArtifactWriter.write(bad, parameters: IngestParameters(), to: dir + "/art", force: false)) {
            XCTAssertEqual(($0 as? DataError)?.kind, .countMismatch)
        }
        XCTAssertEqual(directoryListing(dir), [])
    }

    // MARK: Damage that verify and the reader must catch

    private func damaged(_ damage: (String, Manifest) throws -> Void) throws -> (ShardDataset?, Error?) {
        let out = try makeScratchDirectory(self) + "/art"
        let manifest = try writeSmall(out)
        try damage(out, manifest)
        do {
            let dataset = try ShardDataset(directory: out)
            do { try dataset.verify() } catch { return (dataset, error) }
            return (dataset, nil)
        } catch {
            return (nil, error)
        }
    }

    func testFlippedByteIsCaughtNamingTheShard() throws {
        let (_, error) = try damaged { out, _ in
            let path = out + "/train-00001.shard"
            var bytes = try FileIO.read(path)
            bytes[bytes.count / 2] ^= 0x40
            try AtomicFile.write(bytes, to: path)
        }
        let dataError = try XCTUnwrap(error as? DataError)
        XCTAssertEqual(dataError.kind, .checksumMismatch)
        XCTAssertTrue(dataError.path.hasSuffix("train-00001.shard"))
    }

    func testFlippedByteIsCaughtByTheShardItselfWithoutTheManifest() throws {
        let bytes = try patternBytes(count: 24, seed: 3).withUnsafeBufferPointer {
            try Shard.encode(pixels: $0, labels: nil, shape: ImageShape(height: 3, width: 4), level: 1)
        }
        XCTAssertEqual(try Shard.decode(bytes, path: "s").pixels, patternBytes(count: 24, seed: 3))
        for index in [3, 20, Shard.headerSize + 3, bytes.count - 2] {
            var broken = bytes
            broken[index] ^= 0x01
            XCTAssertThrowsError(try Shard.decode(broken, path: "s"), "flip at \(index)")
        }
    }

    func testTruncatedShard() throws {
        let (_, error) = try damaged { out, _ in
            let path = out + "/train-00000.shard"
            try AtomicFile.write(Array(try FileIO.read(path).dropLast(9)), to: path)
        }
        XCTAssertEqual((error as? DataError)?.kind, .truncated)
    }

    func testMissingShard() throws {
        let (_, error) = try damaged { out, _ in try FileManager.default.removeItem(atPath: out + "/test-00000.shard") }
        let dataError = try XCTUnwrap(error as? DataError)
        XCTAssertEqual(dataError.kind, .missingFile)
        XCTAssertTrue(dataError.description.contains("test-00000.shard"))
    }

    func testManifestNamingFilesOutsideTheArtifact() throws {
        for name in ["../evil.shard", "/etc/passwd", ".hidden"] {
            let (_, error) = try damaged { out, manifest in
                var changed = manifest
                changed.train.shards[0].file = name
                try AtomicFile.write(try changed.encoded(), to: out + "/manifest.json")
            }
            XCTAssertEqual((error as? DataError)?.kind, .unsafePath, name)
        }
    }

    func testManifestOfAnotherVersionOrMissing() throws {
        let (_, error) = try damaged { out, manifest in
            var changed = manifest
            changed.formatVersion = 99
            try AtomicFile.write(try changed.encoded(), to: out + "/manifest.json")
        }
        XCTAssertEqual((error as? DataError)?.kind, .unsupported)
        XCTAssertTrue(String(describing: error!).contains("99"))
        let (_, missing) = try damaged { out, _ in try FileManager.default.removeItem(atPath: out + "/manifest.json") }
        XCTAssertEqual((missing as? DataError)?.kind, .missingFile)
    }
}
