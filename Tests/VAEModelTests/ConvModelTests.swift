// The convolutional VAE as a whole: it learns, it is reproducible bit for bit, its sizes are
// checked before anything runs, its config round trips (older configs load as the MLP), and the
// floor's operation count is that of its layers.
import Foundation
import XCTest
@testable import VAEModel

final class ConvModelTests: XCTestCase {
    let config = ModelConfig.conv(height: 8, width: 8, channels: 1, convChannels: [4, 8], latentSize: 2)

    /// `steps` training steps on 8x8 synthetic patterns, batches of 16; the model and its losses.
    func train(seed: UInt64, steps: Int) throws -> (VAE, [Double]) {
        let model = try VAE(config: config, seed: seed, batchCapacity: 16, learningRate: 1e-2)
        let data = TestData.patterns(count: 256, size: 64, seed: 77)
        var rng = SeededRandom(seed: seed &+ 1000)
        var losses: [Double] = []
        data.withUnsafeBufferPointer { d in
            for s in 0 ..< steps {
                losses.append(model.trainStep(batch: d.baseAddress! + (s * 16) % 256 * 64, count: 16, beta: 1, rng: &rng).total)
            }
        }
        return (model, losses)
    }

    func testLossFallsOnSyntheticData() throws {
        let (_, losses) = try train(seed: 1, steps: 300)
        let first = losses.prefix(16).reduce(0, +) / 16, last = losses.suffix(16).reduce(0, +) / 16
        XCTAssert(losses.allSatisfy(\.isFinite))
        XCTAssertLessThan(last, first - 0.3 * abs(first), "loss \(first) -> \(last)")
    }

    /// The conv passes run a few images at a time (`ImageChunks`). One image a chunk gives the
    /// whole batch's forward outputs (loss, decoded means) and its gradients to rounding, not to
    /// the bit: OpenBLAS's kernels may round a row of a product differently with the number of
    /// rows around it (its AVX2 kernels do), and the weight gradients are sums over the chunks.
    /// The chunks are a fixed rule, so a run's bits do not change (testExact... tests).
    func testImageChunksChangeOnlyTheRounding() throws {
        func pass(chunkFloats: Int?) throws -> (gradients: [Float], loss: Double, means: [Float]) {
            let model = try VAE(config: config, seed: 3, batchCapacity: 16)
            if let chunkFloats { model.imageChunkFloats = chunkFloats }
            let x = TestData.patterns(count: 16, size: 64, seed: 5), eps = TestData.normals(16 * 2, seed: 6)
            let loss = model.computeGradients(batch: x, count: 16, beta: 1, samples: 1, eps: eps)
            var means = [Float](repeating: 0, count: 16 * 64)
            model.decode(z: TestData.normals(16 * 2, seed: 7), count: 16, means: &means)
            return (Array(model.gradients), loss.total, means)
        }
        let whole = try pass(chunkFloats: nil), single = try pass(chunkFloats: 1)
        // The loss sums 1,024 per-pixel terms of Float products: a few Float roundings apart.
        XCTAssertEqual(single.loss, whole.loss, accuracy: 1e-6 * abs(whole.loss))
        // Each mean is one sigmoid of one dot product of at most 4·4·4 = 64 terms: 16 ulps.
        let ulps = zip(single.means, whole.means).map { abs(Int($0.bitPattern) - Int($1.bitPattern)) }.max()!
        XCTAssertLessThanOrEqual(ulps, 16, "decoded means differ by \(ulps) ulps")
        let scale = whole.gradients.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        let largest = zip(single.gradients, whole.gradients).map { abs($0 - $1) }.max()!
        // Sums over 16 images in another grouping: relative to the largest gradient, 1e-5.
        XCTAssertLessThanOrEqual(largest, 1e-5 * scale, "largest gradient difference \(largest), scale \(scale)")
        XCTAssertNotEqual(single.gradients.map(\.bitPattern), whole.gradients.map(\.bitPattern),
                          "one image a chunk sums the weight gradients in another order")
    }

    func testExactSameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let (a, la) = try train(seed: 5, steps: 20)
        let (b, lb) = try train(seed: 5, steps: 20)
        let (c, _) = try train(seed: 6, steps: 20)
        XCTAssertEqual(a.parameterBytes, b.parameterBytes)
        XCTAssertEqual(la, lb)
        XCTAssertNotEqual(a.parameterBytes, c.parameterBytes)
    }

    func testEncodeDecodeAndBoundOnBatchesLargerThanTheWorkspace() throws {
        // 40 examples through a workspace of 16: evaluate, encode and the IWAE bound go in pieces.
        let (model, _) = try train(seed: 2, steps: 5)
        let x = TestData.patterns(count: 40, size: 64, seed: 3)
        var mu = [Float](repeating: 0, count: 80), logvar = mu
        model.encode(batch: x, count: 40, mu: &mu, logvar: &logvar)
        var means = [Float](repeating: -1, count: 40 * 64)
        model.decode(z: mu, count: 40, means: &means)
        XCTAssert(means.allSatisfy { $0 > 0 && $0 < 1 })
        var rng = SeededRandom(seed: 1)
        let bound = model.importanceWeightedBound(batch: x, count: 40, samples: 3, rng: &rng)
        XCTAssert(bound.allSatisfy { $0.isFinite && $0 < 0 })
        // The last piece (8 of 40 examples) is one example's code to rounding: alone, its products
        // have another row count, which OpenBLAS's kernels may round differently.
        var one = [Float](repeating: 0, count: 2), oneLV = one
        model.encode(batch: Array(x[39 * 64 ..< 40 * 64]), count: 1, mu: &one, logvar: &oneLV)
        for (a, b) in zip(one, mu[78 ..< 80]) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
    }

    func testImageSizesNotDivisibleByTheStridesAreAClearError() {
        XCTAssertThrowsError(try VAE(config: .conv(height: 30, width: 28, channels: 1, convChannels: [32, 64]), seed: 1)) {
            XCTAssertEqual(($0 as? ModelError)?.kind, .invalidConfig)
            let message = String(describing: $0)
            XCTAssert(message.contains("28x30") && message.contains("divisible by 4"), message)
        }
        XCTAssertThrowsError(try VAE(config: .conv(height: 28, width: 28, channels: 1, convChannels: []), seed: 1))
        XCTAssertThrowsError(try VAE(config: .conv(height: 28, width: 28, channels: 1, convChannels: [8, 0]), seed: 1))
        var wrongSize = ModelConfig.conv(height: 8, width: 8, channels: 3, convChannels: [4])
        wrongSize.inputSize = 64
        XCTAssertThrowsError(try VAE(config: wrongSize, seed: 1))
        XCTAssertNoThrow(try VAE(config: .conv(height: 28, width: 28, channels: 1, convChannels: [32, 64]), seed: 1))
    }

    func testConvConfigRoundTripsAndOldConfigsLoadAsMLP() throws {
        let conv = ModelConfig.conv(height: 28, width: 28, channels: 1, convChannels: [32, 64])
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(conv)), conv)
        let old = #"{"inputSize":784,"hiddenSizes":[400],"latentSize":20,"likelihood":{"bernoulli":{}}}"#
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: Data(old.utf8))
        XCTAssertEqual(decoded, ModelConfig(inputSize: 784, hiddenSizes: [400], latentSize: 20))
        XCTAssertEqual(decoded.architecture, .mlp)
        XCTAssertEqual(decoded.imageChannels, 1)
    }

    func testFloorCountsEveryProductOfTheReferenceModel() {
        // 1x28x28, channels 32, 64, Z = 20. Per layer: forward, weight gradient, input gradient.
        let layout = ParameterLayout(config: .conv(height: 28, width: 28, channels: 1, convChannels: [32, 64], latentSize: 20))
        let conv1 = 2 * (2 * 14 * 14 * 16 * 1 * 32)   // no input gradient for the first layer
        let conv2 = 3 * (2 * 7 * 7 * 16 * 32 * 64)
        let head = 3 * (2 * 3136 * 40)
        let projection = 3 * (2 * 20 * 3136)
        let deconv1 = 3 * (2 * 7 * 7 * 64 * 16 * 32)
        let deconv2 = 3 * (2 * 14 * 14 * 32 * 16 * 1)
        XCTAssertEqual(layout.trainingFlopsPerExample(), Double(conv1 + conv2 + head + projection + deconv1 + deconv2))
        XCTAssertEqual(layout.trainingFlopsPerExample(samples: 2) - layout.trainingFlopsPerExample(),
                       Double(projection + deconv1 + deconv2))
    }
}
