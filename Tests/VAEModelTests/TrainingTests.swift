// Training as a whole: the loss falls on synthetic data, runs are reproducible bit for bit from a
// seed, partial and oversized batches work, binarization, config validation.
import XCTest
import VAEModel

final class TrainingTests: XCTestCase {
    /// Trains `steps` steps on synthetic patterns, returning the model and the losses.
    func train(seed: UInt64, steps: Int, samples: Int = 1, likelihood: Likelihood = .bernoulli,
               batch: Int = 16) throws -> (VAE, [Double]) {
        let config = ModelConfig(inputSize: 24, hiddenSizes: [16], latentSize: 2, likelihood: likelihood)
        let model = try VAE(config: config, seed: seed, batchCapacity: batch, mcSamples: samples, learningRate: 1e-2)
        let data = TestData.patterns(count: 256, size: 24, seed: 77)
        var rng = SeededRandom(seed: seed &+ 1000)
        var losses: [Double] = []
        data.withUnsafeBufferPointer { d in
            for s in 0 ..< steps {
                let start = (s * batch) % 256
                let n = min(batch, 256 - start)
                losses.append(model.trainStep(batch: d.baseAddress! + start * 24, count: n, beta: 1, rng: &rng).total)
            }
        }
        return (model, losses)
    }

    func testLossFallsOnSyntheticData() throws {
        for likelihood in [Likelihood.bernoulli, .gaussianLearned] {
            let (_, losses) = try train(seed: 1, steps: 400, likelihood: likelihood)
            let first = losses.prefix(16).reduce(0, +) / 16
            let last = losses.suffix(16).reduce(0, +) / 16
            XCTAssert(losses.allSatisfy(\.isFinite))
            XCTAssertLessThan(last, first - 0.3 * abs(first), "\(likelihood): loss \(first) -> \(last)")
        }
    }

    func testExactSameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let (a, la) = try train(seed: 5, steps: 40, samples: 2)
        let (b, lb) = try train(seed: 5, steps: 40, samples: 2)
        let (c, _) = try train(seed: 6, steps: 40, samples: 2)
        XCTAssertEqual(a.parameterBytes, b.parameterBytes)
        XCTAssertEqual(Array(a.adamV), Array(b.adamV))
        XCTAssertEqual(la, lb)
        XCTAssertNotEqual(a.parameterBytes, c.parameterBytes)
    }

    func testExactTrainStepIsGradientThenAdam() throws {
        // trainStep runs Adam once after the whole backward: it must equal gradients, then one update.
        for likelihood in [Likelihood.bernoulli, .gaussianLearned] {
            let config = ModelConfig(inputSize: 37, hiddenSizes: [9, 6], latentSize: 4, likelihood: likelihood)
            let a = try VAE(config: config, seed: 3, batchCapacity: 5, mcSamples: 2)
            let b = try VAE(config: config, seed: 3, batchCapacity: 5, mcSamples: 2)
            let x = TestData.uniform(5 * 37, seed: 1)
            var rngA = SeededRandom(seed: 8), rngB = SeededRandom(seed: 8)
            for _ in 0 ..< 3 {
                let pa = a.trainStep(batch: x, count: 5, beta: 0.8, rng: &rngA)
                var eps = [Float](repeating: 0, count: 2 * 5 * 4)
                eps.withUnsafeMutableBufferPointer { rngB.fillNormals($0.baseAddress!, count: $0.count) }
                let pb = b.computeGradients(batch: x, count: 5, beta: 0.8, samples: 2, eps: eps)
                b.optimizer.update(parameters: b.parameters.baseAddress!, gradients: b.gradients.baseAddress!,
                                   m: b.adamM.baseAddress!, v: b.adamV.baseAddress!, count: b.layout.count)
                XCTAssertEqual(pa, pb)
            }
            XCTAssertEqual(a.parameterBytes, b.parameterBytes, "\(likelihood)")
            XCTAssertEqual(Array(a.adamV).map(\.bitPattern), Array(b.adamV).map(\.bitPattern))
            XCTAssertEqual(a.optimizer, b.optimizer)
        }
    }

    func testInitializationIsPyTorchUniform() throws {
        let model = try VAE(config: ModelConfig(inputSize: 784, hiddenSizes: [400], latentSize: 20), seed: 1)
        for v in model.layout.linears {
            let bound = 1 / Float(v.inputs).squareRoot()
            let w = model.parameters[v.weightOffset ..< v.weightOffset + v.weightCount]
            XCTAssert(w.allSatisfy { abs($0) <= bound })
            // Uniform on ±bound has variance bound²/3.
            let variance = w.reduce(0.0) { $0 + Double($1 * $1) } / Double(w.count)
            XCTAssertEqual(variance, Double(bound * bound) / 3, accuracy: 0.05 * Double(bound * bound) / 3)
        }
        // The first weight is the first uniform of the seed's generator, scaled.
        var rng = SeededRandom(seed: 1)
        XCTAssertEqual(model.parameters[0], (2 * rng.uniform() - 1) * (1 / Float(784).squareRoot()))
    }

    func testPartialAndOversizedBatches() throws {
        let config = ModelConfig(inputSize: 24, hiddenSizes: [8], latentSize: 2)
        let model = try VAE(config: config, seed: 1, batchCapacity: 4)
        var x = TestData.uniform(24 * 10, seed: 1)
        var rng = SeededRandom(seed: 2)
        let small = model.trainStep(batch: &x, count: 3, beta: 1, rng: &rng)
        let large = model.trainStep(batch: &x, count: 10, beta: 1, rng: &rng)  // grows the workspace
        let none = model.trainStep(batch: &x, count: 0, beta: 1, rng: &rng)
        XCTAssert(small.total.isFinite && large.total.isFinite)
        XCTAssertEqual(none, .zero)
        XCTAssertEqual(model.optimizer.step, 2)
    }

    func testEncodeAndDecodeShapes() throws {
        let config = ModelConfig(inputSize: 24, hiddenSizes: [8], latentSize: 3)
        let model = try VAE(config: config, seed: 1, batchCapacity: 2)
        var x = TestData.uniform(24 * 5, seed: 1)
        var mu = [Float](repeating: .nan, count: 15), lv = mu
        model.encode(batch: &x, count: 5, mu: &mu, logvar: &lv)
        XCTAssert(mu.allSatisfy(\.isFinite) && lv.allSatisfy(\.isFinite))
        // Encoding one example alone gives the same code as within the batch.
        var mu1 = [Float](repeating: 0, count: 3), lv1 = mu1
        model.encode(batch: Array(x[48 ..< 72]), count: 1, mu: &mu1, logvar: &lv1)
        XCTAssertEqual(mu1, Array(mu[6 ..< 9]))
        var means = [Float](repeating: .nan, count: 24 * 5)
        model.decode(z: mu, count: 5, means: &means)
        XCTAssert(means.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testBinarizeDrawsFreshBernoullis() {
        let n = 20_000
        let x = [Float](repeating: 0.3, count: n) + [0, 1]
        var rng = SeededRandom(seed: 3)
        var a = [Float](repeating: -1, count: n + 2), b = a
        VAE.binarize(x, into: &a, count: n + 2, rng: &rng)
        VAE.binarize(x, into: &b, count: n + 2, rng: &rng)
        XCTAssert(a.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(a[n], 0, "probability 0 is never 1")
        XCTAssertEqual(a[n + 1], 1, "probability 1 is always 1")
        XCTAssertEqual(Double(a.prefix(n).reduce(0, +)) / Double(n), 0.3, accuracy: 0.015)
        XCTAssertNotEqual(a, b, "each call draws anew")
    }

    func testConfigValidation() {
        XCTAssertThrowsError(try ModelConfig(inputSize: 0).validate())
        XCTAssertThrowsError(try ModelConfig(latentSize: 0).validate())
        XCTAssertThrowsError(try ModelConfig(hiddenSizes: [400, 0]).validate()) { error in
            XCTAssert("\(error)".contains("hidden layer 2"))
        }
        XCTAssertThrowsError(try ModelConfig(likelihood: .gaussianFixed(sigma: 0)).validate())
        XCTAssertThrowsError(try VAE(config: ModelConfig(inputSize: -1), seed: 1))
        XCTAssertNoThrow(try ModelConfig().validate())
        XCTAssertEqual(ParameterLayout(config: ModelConfig()).count,
                       784 * 400 + 400 + 400 * 40 + 40 + 20 * 400 + 400 + 400 * 784 + 784)
    }
}
