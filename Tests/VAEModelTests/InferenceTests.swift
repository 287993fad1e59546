// Inference in pieces (Inference.swift): every output of `evaluate`, `encode`, `decode` and the
// importance-weighted bound has the same bits on 1, 2 or 3 threads, and whatever OpenBLAS's own
// thread count was set to, because each piece's products have the same shapes whoever computes
// them and OpenBLAS computes on one thread. `.ci/run` runs these (the testExact... tests) again
// under another OpenBLAS kernel and with OPENBLAS_NUM_THREADS=1.
import COpenBLAS
import XCTest
@testable import VAEModel

final class InferenceTests: XCTestCase {
    let mlp = ModelConfig(inputSize: 37, hiddenSizes: [29, 11], latentSize: 4, likelihood: .gaussianLearned)
    let conv = ModelConfig.conv(height: 8, width: 8, channels: 1, convChannels: [4, 8], latentSize: 3)
    var conditional: ModelConfig {
        var c = ModelConfig(inputSize: 37, hiddenSizes: [16], latentSize: 2)
        c.classNames = ["a", "b", "c"]
        return c
    }

    /// Every inference output of a model (pieces of 8, 2 samples: decoder pieces of 16 rows) on
    /// 29 examples, as bits.
    func outputs(_ config: ModelConfig, threads: Int) throws -> [UInt64] {
        let model = try VAE(config: config, seed: 4, batchCapacity: 8, mcSamples: 2, learningRate: 1e-2)
        let n = 29, zs = config.latentSize
        let x = TestData.uniform(n * config.inputSize, seed: 5)
        let labels = (0 ..< n).map { UInt16($0 % 3) }
        // A few steps so that the weights are not the initial ones.
        var train = SeededRandom(seed: 9)
        for _ in 0 ..< 3 { model.trainStep(batch: x, count: 8, beta: 1, rng: &train, labels: labels) }
        model.useThreads(threads)
        var bits: [UInt64] = []
        var rng = SeededRandom(seed: 6)
        let sums = model.evaluationSums(batch: x, count: n, rng: &rng, labels: labels)
        bits += [sums.reconstruction.bitPattern, sums.kl.bitPattern]
        var mu = [Float](repeating: 0, count: n * zs), logvar = mu
        model.encode(batch: x, count: n, mu: &mu, logvar: &logvar, labels: labels)
        bits += (mu + logvar).map { UInt64($0.bitPattern) }
        var means = [Float](repeating: 0, count: n * config.inputSize)
        model.decode(z: TestData.normals(n * zs, seed: 7), count: n, means: &means, labels: labels)
        bits += means.map { UInt64($0.bitPattern) }
        bits += model.importanceWeightedBound(batch: x, count: n, samples: 5, rng: &rng, labels: labels).map(\.bitPattern)
        bits.append(rng.next())  // the generator moved as far on every thread count
        return bits
    }

    func testExactInferenceDoesNotDependOnTheThreads() throws {
        for config in [mlp, conv, conditional] {
            let one = try outputs(config, threads: 1)
            XCTAssertEqual(try outputs(config, threads: 2), one, "\(config.architecture), 2 threads")
            XCTAssertEqual(try outputs(config, threads: 3), one, "\(config.architecture), 3 threads")
        }
    }

    func testExactInferenceIgnoresOpenBLASThreadSetting() throws {
        // A library linked beside the model may set OpenBLAS's threads; a model made after it
        // computes on one thread all the same.
        let one = try outputs(conv, threads: 2)
        openblas_set_num_threads(2)
        XCTAssertEqual(try outputs(conv, threads: 2), one)
    }

    func testPiecesAreTheInferenceBatch() throws {
        // The first piece's codes are those of encoding the piece alone, bit for bit: a piece
        // is computed on its own whatever follows it.
        let model = try VAE(config: mlp, seed: 4, batchCapacity: 8)
        let n = 20, zs = mlp.latentSize
        let x = TestData.uniform(n * mlp.inputSize, seed: 5)
        var mu = [Float](repeating: 0, count: n * zs), logvar = mu
        model.encode(batch: x, count: n, mu: &mu, logvar: &logvar)
        var first = [Float](repeating: 0, count: 8 * zs), firstLV = first
        model.encode(batch: x, count: 8, mu: &first, logvar: &firstLV)
        XCTAssertEqual(first.map(\.bitPattern), mu[0 ..< 8 * zs].map(\.bitPattern))
        XCTAssertEqual(Pieces(count: 20, size: 8).number, 3)
        XCTAssertEqual(Pieces(count: 20, size: 8).range(2), 16 ..< 20)
    }
}
