// The three gradient estimators on a fixed batch: the score function's score against finite
// differences of log q, its mean over many draws against the reparameterized gradient's mean
// (both estimate the same gradient), the decoder's gradient untouched by the choice, and the
// variances in the order the method predicts: reparameterization < score function with a
// baseline < score function. That the reparameterized gradient itself is right is checked
// against finite differences in GradientCheckTests.
import XCTest
import VAECore
@testable import VAEModel

final class EstimatorTests: XCTestCase {
    let config = ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3)
    let b = 4

    /// The encoder's gradient (or every gradient) for one eps under `estimator`.
    func gradient(_ model: VAE, _ estimator: GradientEstimator, x: [Float], eps: [Float], samples l: Int = 1) -> [Float] {
        model.estimator = estimator
        model.computeGradients(batch: x, count: b, beta: 1, samples: l, eps: eps)
        return Array(model.gradients)
    }

    func testScoreIsTheGradientOfLogQ() {
        // With f = 1 for one row, beta = 0 and no baseline, dHead is ∇ log q(z|x) at fixed z.
        let zs = 3
        let head: [Float] = [0.3, -0.5, 1.2, -0.4, 0.6, 0.1]  // mu | logvar
        let eps: [Float] = [0.7, -1.3, 0.2]
        let sigma = (0 ..< zs).map { Float(exp(0.5 * Double(head[zs + $0]))) }
        let z = (0 ..< zs).map { Double(head[$0]) + Double(sigma[$0]) * Double(eps[$0]) }
        var dHead = [Float](repeating: 0, count: 2 * zs), biasGrad = [Float](repeating: 0, count: 2 * zs)
        scoreFunctionBackward(dHead: &dHead, headBiasGrad: &biasGrad, logLikelihood: [-1], head: head, sigma: sigma,
                              eps: eps, baseline: 0, examples: 1, latent: zs, samples: 1, beta: 0)
        func logQ(_ h: [Double]) -> Double {
            (0 ..< zs).reduce(0) { s, j in
                s - 0.5 * ((z[j] - h[j]) * (z[j] - h[j]) / exp(h[zs + j]) + h[zs + j] + log(2 * .pi))
            }
        }
        let hd = head.map(Double.init)
        for k in 0 ..< 2 * zs {
            var plus = hd, minus = hd
            plus[k] += 1e-6
            minus[k] -= 1e-6
            let numeric = (logQ(plus) - logQ(minus)) / 2e-6
            XCTAssertEqual(Double(dHead[k]), numeric, accuracy: 1e-4 * max(1, abs(numeric)), "head output \(k)")
            XCTAssertEqual(biasGrad[k], dHead[k])
        }
    }

    func testScoreFunctionMeanAgreesWithReparameterizedMeanWithinStandardErrors() throws {
        let model = try VAE(config: config, seed: 3, batchCapacity: b)
        let x = TestData.uniform(b * config.inputSize, seed: 5)
        let encoder = model.encoderTensors
        let n = encoder.last!.range.upperBound
        let draws = 10_000
        var rng = SeededRandom(seed: 11)
        var eps = [Float](repeating: 0, count: b * config.latentSize)
        var sum = [[Double]](repeating: [Double](repeating: 0, count: n), count: 2)
        var squares = sum
        for _ in 0 ..< draws {
            eps.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: $0.count) }
            for (e, estimator) in [GradientEstimator.reparameterization, .scoreFunction].enumerated() {
                let g = gradient(model, estimator, x: x, eps: eps)
                for i in 0 ..< n {
                    sum[e][i] += Double(g[i])
                    squares[e][i] += Double(g[i]) * Double(g[i])
                }
            }
        }
        var worst = 0.0, resolved = 0, zSquares = 0.0, compared = 0
        for i in 0 ..< n {
            let mean = (0 ..< 2).map { sum[$0][i] / Double(draws) }
            let se2 = (0 ..< 2).map { max(0, squares[$0][i] / Double(draws) - mean[$0] * mean[$0]) / Double(draws - 1) }
            if se2[0] + se2[1] == 0 {  // a unit no input reaches: no gradient under either estimator
                XCTAssertEqual(mean[0], 0)
                XCTAssertEqual(mean[1], 0)
                continue
            }
            compared += 1
            let z = (mean[1] - mean[0]) / (se2[0] + se2[1]).squareRoot()
            worst = max(worst, abs(z))
            zSquares += z * z
            if abs(mean[0]) > 4 * se2[1].squareRoot() { resolved += 1 }
        }
        // Each z is standard normal if both estimate the same gradient: none beyond 4.5, and
        // their mean square near 1 (a bias of even a few standard errors in many elements fails).
        XCTAssertLessThan(worst, 4.5)
        XCTAssertEqual(zSquares / Double(compared), 1, accuracy: 0.5)
        // The comparison resolves the gradient: many elements stand clear of the noise.
        XCTAssertGreaterThan(compared, n / 2)
        XCTAssertGreaterThan(resolved, compared / 4, "the test is too noisy to tell a wrong estimator (\(resolved) of \(compared) resolved)")
    }

    func testDecoderGradientIsTheSameForEveryEstimator() throws {
        let model = try VAE(config: config, seed: 3, batchCapacity: b)
        let x = TestData.uniform(b * config.inputSize, seed: 5)
        let eps = TestData.normals(2 * b * config.latentSize, seed: 6)
        let decoderStart = model.encoderTensors.last!.range.upperBound
        let gradients = GradientEstimator.allCases.map { gradient(model, $0, x: x, eps: eps, samples: 2) }
        for g in gradients.dropFirst() {
            XCTAssertEqual(g[decoderStart...].map(\.bitPattern), gradients[0][decoderStart...].map(\.bitPattern))
            XCTAssertNotEqual(Array(g[..<decoderStart]), Array(gradients[0][..<decoderStart]))
        }
    }

    func testScoreFunctionVarianceExceedsReparameterizationAndTheBaselineReducesIt() throws {
        let config = ModelConfig(inputSize: 21, hiddenSizes: [7], latentSize: 3)
        let model = try VAE(config: config, seed: 3, batchCapacity: 8)
        let x = TestData.patterns(count: 8, size: 21, seed: 4)
        var rng = SeededRandom(seed: 9)
        let spreads = try model.gradientSpread(batch: x, count: 8, beta: 1, draws: 400, rng: &rng)
        XCTAssertEqual(spreads.count, 3 * (model.encoderTensors.count + 1))
        func encoder(_ e: GradientEstimator) -> GradientSpread { spreads.first { $0.estimator == e && $0.tensor == "encoder" }! }
        let rp = encoder(.reparameterization), sf = encoder(.scoreFunction), bl = encoder(.scoreFunctionBaseline)
        XCTAssertGreaterThan(sf.variance, 10 * rp.variance)
        XCTAssertLessThan(bl.variance, sf.variance / 2)
        XCTAssertGreaterThan(bl.variance, rp.variance)
        // The whole encoder is the sum of its tensors.
        let parts = spreads.filter { $0.estimator == .scoreFunction && $0.tensor != "encoder" }
        XCTAssertEqual(parts.map(\.variance).reduce(0, +), sf.variance, accuracy: 1e-9 * sf.variance)
        XCTAssertEqual(sf.snr, sf.meanSquaredNorm / sf.variance)
        XCTAssertEqual(model.estimator, .reparameterization, "measuring leaves the model's estimator as it was")
        XCTAssertNil(model.scoreBaseline.value, "measuring does not move the baseline")
    }

    func testBaselineIsAMovingAverage() throws {
        let model = try VAE(config: config, seed: 3, batchCapacity: b)
        model.estimator = .scoreFunctionBaseline
        let x = TestData.uniform(b * config.inputSize, seed: 5)
        var rng = SeededRandom(seed: 2)
        let first = model.trainStep(batch: x, count: b, beta: 1, rng: &rng)
        // One sample per example: the first baseline is the first batch's mean reconstruction loss.
        XCTAssertEqual(model.scoreBaseline.value!, first.reconstruction, accuracy: 1e-4 * first.reconstruction)
        let second = model.trainStep(batch: x, count: b, beta: 1, rng: &rng)
        let expected = 0.9 * first.reconstruction + 0.1 * second.reconstruction
        XCTAssertEqual(model.scoreBaseline.value!, expected, accuracy: 1e-4 * expected)
    }
}
