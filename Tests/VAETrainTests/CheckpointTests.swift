// Checkpoints: round trip, byte-identical writes, every kind of bad file, exact resumption, and
// what travels in them besides the parameters (the estimator and its baseline, class names).
import Foundation
import TestSupport
import VAECore
import XCTest
import VAEModel
import VAETrain

final class CheckpointTests: XCTestCase {
    let config = ModelConfig(inputSize: 24, hiddenSizes: [10, 6], latentSize: 3, likelihood: .gaussianLearned)
    let settings: TrainingSettings = {
        var s = TrainingSettings()
        s.hiddenSizes = [10, 6]
        s.latentSize = 3
        s.likelihood = .gaussianLearned
        s.learningRate = 3e-3
        s.beta = 0.9
        s.klWarmupEpochs = 2
        s.batchSize = 8
        s.mcSamples = 2
        s.seed = 0xFEDC_BA98_7654_3210
        s.epochs = 7
        s.iwaeSamples = 5
        s.iwaeExamples = 3
        return s
    }()
    let image = ImageShape(height: 2, width: 4, channels: 3)
    lazy var data: [Float] = {
        var rng = SeededRandom(seed: 9)
        return (0 ..< 64 * 24).map { _ in rng.uniform() }
    }()

    /// `steps` steps from the start of `data` with batches of 8, continuing from `step0`.
    func run(_ model: VAE, _ rng: inout SeededRandom, steps: Range<Int>) {
        data.withUnsafeBufferPointer { d in
            for s in steps {
                let start = (s * 8) % 64
                model.trainStep(batch: d.baseAddress! + start * 24, count: 8, beta: 0.9, rng: &rng)
            }
        }
    }

    func trainedCheckpoint() throws -> Checkpoint {
        let model = try VAE(config: config, seed: 4, batchCapacity: 8, mcSamples: 2, learningRate: 3e-3)
        var rng = SeededRandom(seed: 5)
        run(model, &rng, steps: 0 ..< 3)
        let state = TrainingState(epoch: 1, examplesSeen: 24, rng: rng,
                                  lossSums: LossSums(total: 1234.5678, reconstruction: 1200.25, kl: 0.1 + 0.2))
        return model.checkpoint(settings: settings, threads: 1, state: state, image: image, dataIdentity: "sha256:abc")
    }

    func testRoundTrip() throws {
        let dir = try makeScratchDirectory(self)
        let c = try trainedCheckpoint()
        let path = dir + "/model.ckpt"
        try c.write(to: path)
        let back = try Checkpoint.read(from: path)
        XCTAssertEqual(back, c)
        XCTAssertEqual(back.settings.seed, 0xFEDC_BA98_7654_3210)
        XCTAssertEqual(back.state.lossSums.kl, 0.1 + 0.2, "sums travel exactly")
        XCTAssertEqual(back.imageShape, image)
        XCTAssertEqual(back.adam.step, 3)
        XCTAssertEqual(back.parameters.count, ParameterLayout(config: config).count)
        XCTAssertEqual(back.parameters.map(\.bitPattern), c.parameters.map(\.bitPattern))
        XCTAssertEqual(directoryListing(dir), ["model.ckpt"], "no temporary file left behind")
    }

    func testExactSameStateGivesIdenticalBytes() throws {
        let dir = try makeScratchDirectory(self)
        let c1 = try trainedCheckpoint(), c2 = try trainedCheckpoint()
        try c1.write(to: dir + "/a.ckpt")
        try c2.write(to: dir + "/b.ckpt")
        let a = try FileIO.read(dir + "/a.ckpt"), b = try FileIO.read(dir + "/b.ckpt")
        XCTAssertEqual(a, b)
        XCTAssertEqual(Array(a.prefix(8)), Array("VAECKPT".utf8) + [0])
        // The byte layout: version 2, then the header length, then a JSON header.
        XCTAssertEqual(Array(a[8 ..< 12]), [2, 0, 0, 0])
        let headerLength = Int(a[12]) | Int(a[13]) << 8 | Int(a[14]) << 16 | Int(a[15]) << 24
        XCTAssertEqual(a.count, 16 + headerLength + 12 * c1.parameters.count + 4)
        XCTAssertEqual(a[16], UInt8(ascii: "{"))
        XCTAssertEqual(Zlib.crc32(Array(a.dropLast(4))), UInt32(a[a.count - 4]) | UInt32(a[a.count - 3]) << 8 | UInt32(a[a.count - 2]) << 16 | UInt32(a[a.count - 1]) << 24)
    }

    func assertReadFails(_ bytes: [UInt8]?, _ kind: DataError.Kind, containing text: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeScratchDirectory(self)
        let path = dir + "/bad.ckpt"
        if let bytes { try AtomicFile.write(bytes, to: path) }
        XCTAssertThrowsError(try Checkpoint.read(from: path), file: file, line: line) { error in
            guard let e = error as? DataError else { return XCTFail("\(error) is not a DataError", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssert(e.description.hasPrefix(path + ": "), file: file, line: line)
            XCTAssert(e.description.contains(text), "\(e)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), "one line", file: file, line: line)
        }
    }

    func testBadFilesThrowTheRightError() throws {
        let good = try trainedCheckpoint().encoded()
        try assertReadFails(nil, .missingFile, containing: "no such file")
        try assertReadFails([], .emptyFile, containing: "empty")
        try assertReadFails(Array("P5\n28 28\n255\n".utf8) + good.dropFirst(12), .badMagic, containing: "not a checkpoint")
        try assertReadFails(Array(good.prefix(5)), .badMagic, containing: "not a checkpoint")
        try assertReadFails(Array(good.prefix(14)), .truncated, containing: "truncated")
        try assertReadFails(Array(good.prefix(200)), .truncated, containing: "truncated")
        try assertReadFails(Array(good.dropLast(1)), .truncated, containing: "truncated")
        try assertReadFails(good + [0], .sizeMismatch, containing: "more than")
        var version = good
        version[8] = 3
        try assertReadFails(version, .unsupported, containing: "version 3, expected 1 or 2")
        var flipped = good
        flipped[good.count - 100] ^= 0x10  // inside Adam's v
        try assertReadFails(flipped, .checksumMismatch, containing: "checksum mismatch")
        // A header announcing an absurd parameter count (with a valid CRC) is refused, not trusted.
        let absurd = reframe(good) { $0.replacingOccurrences(of: "\"parameterCount\":", with: "\"parameterCount\":99999999999") }
        try assertReadFails(absurd, .truncated, containing: "cannot hold")
        // A valid file whose header lost a key.
        let missing = reframe(good) { $0.replacingOccurrences(of: "\"dataIdentity\"", with: "\"dataIdentityX\"") }
        try assertReadFails(missing, .corrupt, containing: "header")
        var header = good
        header[17] ^= 0x01  // damages the JSON itself
        try assertReadFails(header, .corrupt, containing: "header")
    }

    /// The file `bytes` with its JSON header edited by `edit`, re-framed with a correct length and CRC.
    func reframe(_ bytes: [UInt8], _ edit: (String) -> String) -> [UInt8] {
        let h = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        let json = Array(edit(String(decoding: bytes[16 ..< 16 + h], as: UTF8.self)).utf8)
        let n = UInt32(json.count)
        var out = Array(bytes[0 ..< 12]) + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
        out += json + bytes[(16 + h) ..< (bytes.count - 4)]
        let crc = Zlib.crc32(out)
        out += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        return out
    }

    func testReframingAnUneditedHeaderGivesAReadableFile() throws {
        let good = try trainedCheckpoint().encoded()
        XCTAssertEqual(reframe(good) { $0 }, good)
    }

    func testArraysOfTheWrongSizeForTheConfig() throws {
        var c = try trainedCheckpoint()
        c.config.hiddenSizes = [10, 5]  // the arrays are for [10, 6]
        try assertReadFails(try c.encoded(), .sizeMismatch, containing: "needs \(ParameterLayout(config: c.config).count)")
        c.adamV.removeLast()
        XCTAssertThrowsError(try c.encoded())
        // A model refuses a checkpoint of another config.
        let model = try VAE(config: config, seed: 1)
        var other = try trainedCheckpoint()
        other.config.latentSize = 4
        XCTAssertThrowsError(try model.restore(from: other))
    }

    func testExactResumingGivesTheSameBytesAsAnUninterruptedRun() throws {
        try assertResumesExactly(config)
    }

    func testExactResumingAConvModelGivesTheSameBytesAsAnUninterruptedRun() throws {
        // The 24 inputs of the test data as an RGB 4x2 image, one convolution.
        try assertResumesExactly(.conv(height: 4, width: 2, channels: 3, convChannels: [5], latentSize: 3,
                                       likelihood: .gaussianLearned))
    }

    func testTheEstimatorAndItsBaselineTravelInTheCheckpoint() throws {
        let model = try VAE(config: config, seed: 4, batchCapacity: 8, mcSamples: 2, learningRate: 3e-3)
        model.estimator = .scoreFunctionBaseline
        var rng = SeededRandom(seed: 5)
        run(model, &rng, steps: 0 ..< 2)
        XCTAssertNotNil(model.scoreBaseline.value)
        var s = settings
        s.estimator = .scoreFunctionBaseline
        let checkpoint = model.checkpoint(settings: s, threads: 1, state: TrainingState(rng: rng), image: image, dataIdentity: "x")
        let read = try Checkpoint.decode(try checkpoint.encoded(), path: "memory")
        XCTAssertEqual(read, checkpoint)
        let restored = try VAE(checkpoint: read)
        XCTAssertEqual(restored.scoreBaseline, model.scoreBaseline)
        XCTAssertEqual(restored.estimator, GradientEstimator.scoreFunctionBaseline)
    }

    func testSettingsWithoutAnEstimatorDecodeAsTheReparameterization() throws {
        let model = try VAE(config: config, seed: 3, batchCapacity: 8)
        let checkpoint = model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                          image: image, dataIdentity: "x")
        let bytes = try checkpoint.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(text.contains("estimator") || text.contains("scoreBaseline") || text.contains("gradientVariance"),
                       "a run with the defaults writes the same header as before")
        let read = try Checkpoint.decode(bytes, path: "memory")
        XCTAssertEqual(read.settings.estimator, .reparameterization)
        XCTAssertEqual(try VAE(checkpoint: read).estimator, .reparameterization)
    }

    func testSettingsAddedLaterAreWrittenOnlyWhenTheyAreNotTheirDefaults() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let plain = String(decoding: try encoder.encode(settings), as: UTF8.self)
        for key in ["architecture", "estimator", "gradientVarianceEvery", "gradientVarianceDraws", "conditional"] {
            XCTAssertFalse(plain.contains(key), key)
        }
        XCTAssertEqual(try JSONDecoder().decode(TrainingSettings.self, from: Data(plain.utf8)), settings, "absent: the defaults")
        var other = settings
        other.architecture = .conv(channels: [4])
        other.estimator = .scoreFunction
        other.gradientVarianceEvery = 5
        other.gradientVarianceDraws = 7
        other.conditional = true
        let written = String(decoding: try encoder.encode(other), as: UTF8.self)
        XCTAssertEqual(try JSONDecoder().decode(TrainingSettings.self, from: Data(written.utf8)), other)
        // Every other key is required.
        let noSeed = plain.replacingOccurrences(of: "\"seed\":", with: "\"seedX\":")
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingSettings.self, from: Data(noSeed.utf8)))
    }

    func testClassNamesTravelInTheCheckpoint() throws {
        var conditional = config
        conditional.classNames = ["T-shirt/top", "Trouser", "Pullover"]
        let model = try VAE(config: conditional, seed: 2)
        let checkpoint = model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                          image: image, dataIdentity: "x")
        let read = try Checkpoint.decode(try checkpoint.encoded(), path: "memory")
        XCTAssertEqual(read.config.classNames, conditional.classNames)
        XCTAssertEqual(read, checkpoint)
    }

    func assertResumesExactly(_ config: ModelConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeScratchDirectory(self)
        // Uninterrupted: 11 steps.
        let a = try VAE(config: config, seed: 4, batchCapacity: 8, mcSamples: 2, learningRate: 3e-3)
        var rngA = SeededRandom(seed: 5)
        run(a, &rngA, steps: 0 ..< 11)
        // Interrupted after 4 steps, saved, read back into a fresh model and generator, continued.
        let b = try VAE(config: config, seed: 4, batchCapacity: 8, mcSamples: 2, learningRate: 3e-3)
        var rngB = SeededRandom(seed: 5)
        run(b, &rngB, steps: 0 ..< 4)
        try b.checkpoint(settings: settings, threads: 1, state: TrainingState(examplesSeen: 32, rng: rngB), image: image,
                         dataIdentity: "d").write(to: dir + "/k.ckpt")
        let saved = try Checkpoint.read(from: dir + "/k.ckpt")
        let c = try VAE(checkpoint: saved)
        var rngC = saved.state.rng
        XCTAssertEqual(c.mcSamples, 2, file: file, line: line)
        run(c, &rngC, steps: 4 ..< 11)
        XCTAssertEqual(Array(c.parameters).map(\.bitPattern), Array(a.parameters).map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(Array(c.adamM).map(\.bitPattern), Array(a.adamM).map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(Array(c.adamV).map(\.bitPattern), Array(a.adamV).map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(c.optimizer, a.optimizer, file: file, line: line)
        XCTAssertEqual(rngC, rngA, file: file, line: line)
        // And the interruption itself changed nothing: without resuming, b continues the same way.
        run(b, &rngB, steps: 4 ..< 11)
        XCTAssertEqual(Array(b.parameters).map(\.bitPattern), Array(a.parameters).map(\.bitPattern), file: file, line: line)
    }
}
