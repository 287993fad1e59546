// Every reader of untrusted bytes, fed thousands of damaged copies of a valid file: each must
// either decode or throw a DataError naming the file. A crash, a hang or an enormous allocation
// would end the test run, so these are a cheap, deterministic stand-in for a fuzzer.
import Foundation
import TestSupport
import VAEData
import VAEModel
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

    /// Feeds `count` damaged copies of `valid` to `decode`; returns how many were rejected.
    private func survive(_ valid: [UInt8], count: Int, seed: UInt64, _ decode: ([UInt8]) throws -> Void) -> Int {
        var damage = Damage(seed: seed)
        var rejected = 0
        for i in 0..<count {
            let bytes = damage.apply(to: valid)
            do {
                try decode(bytes)
            } catch let error as DataError {
                XCTAssertFalse(error.description.contains("\n"), "case \(i): \(error)")
                rejected += 1
            } catch {
                XCTFail("case \(i): not a DataError: \(error)")
            }
        }
        return rejected
    }

    func testShardDecoder() throws {
        let valid = try patternBytes(count: 6 * 20, seed: 5).withUnsafeBufferPointer {
            try Shard.encode(pixels: $0, labels: nil, shape: ImageShape(height: 4, width: 5), level: 6)
        }
        let rejected = survive(valid, count: 10000, seed: 1) { _ = try Shard.decode($0, path: "s.shard") }
        XCTAssertGreaterThan(rejected, 9700, "damage is detected (only changes that leave the bytes valid pass)")
    }

    func testIDXReader() throws {
        let dir = try makeScratchDirectory(self)
        let raw = IDXFixtures.images(count: 4, rows: 3, columns: 3, pixels: patternBytes(count: 36, seed: 2))
        for (name, valid) in [("raw", raw), ("gz", try IDXFixtures.gzip(raw))] {
            let path = dir + "/" + name
            let rejected = survive(valid, count: 800, seed: 2) { bytes in
                try AtomicFile.write(bytes, to: path, sync: false)
                _ = try IDX.readImages(path)
            }
            XCTAssertGreaterThan(rejected, 400, name)
        }
    }

    func testPNGDecoder() throws {
        let valid = try PNGCodec.encodeGray(GrayImage(width: 7, height: 5, pixels: patternBytes(count: 35, seed: 3)))
        let rejected = survive(valid, count: 10000, seed: 3) { _ = try PNGCodec.decodeGray($0, path: "x.png") }
        XCTAssertGreaterThan(rejected, 8500)
    }

    func testCheckpointReader() throws {
        let model = try VAE(config: ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 2), seed: 1)
        let valid = try model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                         image: ImageShape(height: 3, width: 2), dataIdentity: "d").encoded()
        let rejected = survive(valid, count: 10000, seed: 4) { _ = try Checkpoint.decode($0, path: "m.ckpt") }
        XCTAssertGreaterThan(rejected, 9850, "the trailing CRC catches nearly every change")
    }

    func testManifestReader() throws {
        let dir = try makeScratchDirectory(self)
        let out = dir + "/art"
        _ = try ArtifactWriter.write(
            SyntheticShapes.input(train: 20, test: 5, size: 4, seed: 1), parameters: IngestParameters(shardSize: 8), to: out, force: false)
        let valid = try FileIO.read(out + "/manifest.json")
        let rejected = survive(valid, count: 1500, seed: 5) { bytes in
            try AtomicFile.write(bytes, to: out + "/manifest.json", sync: false)
            try ShardDataset(directory: out).verify()
        }
        XCTAssertGreaterThan(rejected, 1300)
    }
}
