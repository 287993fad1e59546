// Every reader of untrusted bytes, fed thousands of damaged copies of a valid file: each must
// either decode or throw a DataError naming the file. A crash, a hang or an enormous allocation
// would end the test run, so these are a cheap, deterministic stand-in for a fuzzer.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEIngest
import VAEShards
import VAEModel
import VAETrain
import XCTest

final class CorruptInputTests: XCTestCase {
    /// A deterministic source of damage.
    private struct Damage {
        private var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }

        /// One to three of: a flipped bit, a replaced byte, a cut, a repeated run, inserted bytes.
        mutating func apply(to original: [UInt8]) -> [UInt8] {
            var bytes = original
            for _ in 0...next(3) where !bytes.isEmpty {
                let at = next(bytes.count)
                switch next(5) {
                case 0: bytes[at] ^= UInt8(1 << next(8))
                case 1: bytes[at] = UInt8(next(256))
                case 2: bytes.removeSubrange(at...)
                case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + next(64))], at: at)
                default: bytes.insert(contentsOf: (0..<1 + next(16)).map { _ in UInt8(next(256)) }, at: at)
                }
            }
            return bytes
        }
    }

    /// Feeds `count` damaged copies of `valid` to `decode`. Each must either be rejected with a
    /// `DataError` of one of `kinds` about a path `names` accepts (one line, `path: detail`), or
    /// decode to a value equal to the original's (`original`): damage the checks miss must not
    /// change what is read. Returns how many were rejected.
    private func survive<T: Equatable>(
        _ valid: [UInt8], count: Int, seed: UInt64, kinds: Set<DataError.Kind>, names: (String) -> Bool,
        original: T?, file: StaticString = #filePath, line: UInt = #line, _ decode: ([UInt8]) throws -> T
    ) -> Int {
        var damage = Damage(seed: seed)
        var rejected = 0
        for i in 0..<count {
            let bytes = damage.apply(to: valid)
            do {
                let value = try decode(bytes)
                if let original {
                    XCTAssertEqual(value, original, "case \(i): a damaged copy decodes without error but differs from the original", file: file, line: line)
                }
            } catch let error as DataError {
                XCTAssertTrue(kinds.contains(error.kind), "case \(i): kind \(error.kind): \(error)", file: file, line: line)
                XCTAssertTrue(names(error.path), "case \(i): the error names \(error.path)", file: file, line: line)
                XCTAssertEqual(error.description, "\(error.path): \(error.detail)", file: file, line: line)
                XCTAssertFalse(error.description.contains("\n"), "case \(i): \(error)", file: file, line: line)
                rejected += 1
            } catch {
                XCTFail("case \(i): not a DataError: \(error)", file: file, line: line)
            }
        }
        return rejected
    }

    /// A decoded shard, compared as a whole.
    private struct Block: Equatable {
        var shape: ImageShape
        var pixels: [UInt8]
        var labels: [UInt16]

        init(_ block: ShardBlock) { (shape, pixels, labels) = (block.shape, block.pixels, block.labels) }
    }

    func testShardDecoder() throws {
        let valid = try patternBytes(count: 6 * 20, seed: 5).withUnsafeBufferPointer {
            try Shard.encode(pixels: $0, labels: nil, shape: ImageShape(height: 4, width: 5), level: 6)
        }
        let original = Block(try Shard.decode(valid, path: "s.shard"))
        let rejected = survive(valid, count: 10000, seed: 1,
                               kinds: [.truncated, .badMagic, .unsupported, .checksumMismatch, .corrupt, .tooLarge],
                               names: { $0 == "s.shard" }, original: original) { Block(try Shard.decode($0, path: "s.shard")) }
        XCTAssertGreaterThan(rejected, 9700, "damage is detected (only changes that leave the bytes valid pass)")
    }

    /// A decoded IDX images file, compared as a whole.
    private struct Images: Equatable {
        var height: Int, width: Int, count: Int, pixels: [UInt8]
    }

    func testIDXReader() throws {
        let dir = try makeScratchDirectory(self)
        let raw = IDXFixtures.images(count: 4, rows: 3, columns: 3, pixels: patternBytes(count: 36, seed: 2))
        let kinds: Set<DataError.Kind> = [.truncated, .badMagic, .unsupported, .sizeMismatch, .emptyFile, .corrupt, .tooLarge]
        for (name, valid) in [("raw", raw), ("gz", try IDXFixtures.gzip(raw))] {
            let path = dir + "/" + name
            var changedPixels = 0
            let rejected = survive(valid, count: 800, seed: 2, kinds: kinds, names: { $0 == path }, original: nil as Images?) { bytes in
                try AtomicFile.write(bytes, to: path, sync: false)
                let images = try IDX.readImages(path)
                // IDX has no checksum: a raw file's pixels may change, but only to the bytes after its header.
                XCTAssertEqual(images.pixels.count, images.count * images.height * images.width)
                if name == "raw" { XCTAssertEqual(images.pixels, Array(bytes[16...])) }
                if images.pixels != Array(raw[16...]) { changedPixels += 1 }
                return Images(height: images.height, width: images.width, count: images.count, pixels: images.pixels)
            }
            XCTAssertGreaterThan(rejected, 400, name)
            // A gzip stream's CRC-32 catches changed data: what decodes is the original.
            if name == "gz" { XCTAssertEqual(changedPixels, 0) }
        }
    }

    func testPNGDecoder() throws {
        let valid = try PNGCodec.encodeGray(GrayImage(width: 7, height: 5, pixels: patternBytes(count: 35, seed: 3)))
        let original = try PNGCodec.decodeGray(valid, path: "x.png")
        let rejected = survive(valid, count: 10000, seed: 3, kinds: [.notPNG, .truncated, .corrupt, .tooLarge],
                               names: { $0 == "x.png" }, original: original) { try PNGCodec.decodeGray($0, path: "x.png") }
        XCTAssertGreaterThan(rejected, 8500)
    }

    func testCheckpointReader() throws {
        let model = try VAE(config: ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 2), seed: 1)
        let valid = try model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                         image: ImageShape(height: 3, width: 2), dataIdentity: "d").encoded()
        let original = try Checkpoint.decode(valid, path: "m.ckpt")
        let rejected = survive(valid, count: 10000, seed: 4,
                               kinds: [.emptyFile, .badMagic, .truncated, .unsupported, .corrupt, .sizeMismatch, .checksumMismatch],
                               names: { $0 == "m.ckpt" }, original: original) { try Checkpoint.decode($0, path: "m.ckpt") }
        XCTAssertGreaterThan(rejected, 9850, "the trailing CRC catches nearly every change")
    }

    /// What a manifest says about the data: verify() reads every shard against it, so a damaged
    /// manifest that passes must say exactly what the original said.
    private struct DataClaims: Equatable {
        var image: ImageShape, train: SplitInfo, test: SplitInfo, labelCount: Int?

        init(_ m: Manifest) { (image, train, test, labelCount) = (m.image, m.train, m.test, m.labelNames?.count) }
    }

    func testManifestReader() throws {
        let dir = try makeScratchDirectory(self)
        let out = dir + "/art"
        _ = try ArtifactWriter.write(
            SyntheticShapes.input(train: 20, test: 5, size: 4, seed: 1), parameters: IngestParameters(shardSize: 8), to: out, force: false)
        let valid = try FileIO.read(out + "/manifest.json")
        let original = DataClaims(try ShardDataset(directory: out).manifest)
        let rejected = survive(valid, count: 1500, seed: 5,
                               kinds: [.corrupt, .badMagic, .unsupported, .unsafePath, .missingFile, .countMismatch, .tooLarge,
                                       .truncated, .checksumMismatch, .labelOutOfRange],
                               names: { $0.hasPrefix(out + "/") }, original: original) { bytes in
            try AtomicFile.write(bytes, to: out + "/manifest.json", sync: false)
            let dataset = try ShardDataset(directory: out)
            try dataset.verify()
            return DataClaims(dataset.manifest)
        }
        XCTAssertGreaterThan(rejected, 1300)
    }
}
