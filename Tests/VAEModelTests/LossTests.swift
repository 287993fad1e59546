// The loss terms on their own: the closed-form KL against Monte Carlo, the stable Bernoulli loss at
// extreme logits, the fast exp and log1p against libm, and the forward loss against the reference.
import Foundation
import XCTest
import VAEModel

final class LossTests: XCTestCase {
    func testFastExpMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 88 {
            let rel = abs(FastMath.exp(x) - Foundation.exp(x)) / Foundation.exp(x)
            worst = max(worst, rel)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 1e-6, "worst relative error \(worst)")
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertEqual(FastMath.exp(-1000), Foundation.exp(-87), "clamped below")
    }

    func testFastLog1pMatchesLibm() {
        var worst: Float = 0
        for i in 0 ... 10_000 {
            let e = Float(i) / 10_000
            worst = max(worst, abs(FastMath.log1pUnit(e) - Foundation.log1p(e)))
        }
        XCTAssertLessThan(worst, 2e-7, "worst absolute error \(worst)")
        XCTAssertEqual(FastMath.log1pUnit(1e-20) / 1e-20, 1, accuracy: 1e-6, "relative accuracy for tiny e")
    }

    /// One example through a 1-pixel model whose decoder output equals a chosen logit.
    func bernoulliLogLikelihood(logit: Float, x: Float) throws -> (ll: Double, gradient: Float) {
        let config = ModelConfig(inputSize: 1, hiddenSizes: [], latentSize: 1)
        let model = try VAE(config: config, seed: 1, batchCapacity: 1)
        // Output layer weight 0 and bias = logit, so the logit does not depend on z.
        let o = model.layout.output!
        model.parameters[o.weightOffset] = 0
        model.parameters[o.biasOffset] = logit
        var input = [x]
        let eps: [Float] = [0.3]
        let parts = model.computeGradients(batch: &input, count: 1, beta: 0, samples: 1, eps: eps)
        return (-parts.reconstruction, model.gradients[o.biasOffset])
    }

    func testStableBernoulliAtExtremeLogits() throws {
        // a = +100, x = 1: log p = -log1p(e^-100) ≈ -3.7e-44; x = 0: log p = -100 - log1p(e^-100).
        var r = try bernoulliLogLikelihood(logit: 100, x: 1)
        XCTAssertEqual(r.ll, 0, accuracy: 1e-30)
        XCTAssertEqual(r.gradient, 0, accuracy: 1e-30)  // sigmoid(100) - 1
        r = try bernoulliLogLikelihood(logit: 100, x: 0)
        XCTAssertEqual(r.ll, -100, accuracy: 1e-4)
        XCTAssertEqual(r.gradient, 1)
        r = try bernoulliLogLikelihood(logit: -100, x: 0)
        XCTAssertEqual(r.ll, 0, accuracy: 1e-30)
        XCTAssertEqual(r.gradient, 0, accuracy: 1e-30)
        r = try bernoulliLogLikelihood(logit: -100, x: 1)
        XCTAssertEqual(r.ll, -100, accuracy: 1e-4)
        XCTAssertEqual(r.gradient, -1)
        r = try bernoulliLogLikelihood(logit: 1e30, x: 0.25)
        XCTAssert(r.ll.isFinite)
        XCTAssertEqual(r.ll, -0.75e30, accuracy: 1e25)
        XCTAssertEqual(r.gradient, 0.75)
        // An ordinary value for comparison: x log s + (1 - x) log(1 - s).
        r = try bernoulliLogLikelihood(logit: 0.7, x: 0.4)
        let s = 1 / (1 + exp(-0.7))
        XCTAssertEqual(r.ll, 0.4 * log(s) + 0.6 * log(1 - s), accuracy: 1e-6)
        XCTAssertEqual(Double(r.gradient), s - 0.4, accuracy: 1e-6)
    }

    func testClosedFormKLAgreesWithMonteCarlo() throws {
        // KL(N(mu, sigma²) || N(0, 1)) = E_q[log q(z) - log p(z)], estimated with 400k samples.
        let config = ModelConfig(inputSize: 4, hiddenSizes: [3], latentSize: 2)
        let model = try VAE(config: config, seed: 4, batchCapacity: 1)
        // Make the head output mu and logvar far from 0 through its bias, so the test is not trivial.
        let h = model.layout.head
        for i in 0 ..< h.weightCount { model.parameters[h.weightOffset + i] = 0 }
        let headBias: [Float] = [0.8, -1.3, 0.9, -0.7]  // mu = (0.8, -1.3), logvar = (0.9, -0.7)
        for i in 0 ..< 4 { model.parameters[h.biasOffset + i] = headBias[i] }
        var x = TestData.uniform(4, seed: 1)
        var rng = SeededRandom(seed: 2)
        let parts = model.evaluate(batch: &x, count: 1, rng: &rng)

        var eps = [Float](repeating: 0, count: 2)
        var sum = 0.0
        let n = 400_000
        for _ in 0 ..< n {
            eps.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: 2) }
            for j in 0 ..< 2 {
                let mu = Double(headBias[j]), lv = Double(headBias[2 + j])
                let z = mu + exp(0.5 * lv) * Double(eps[j])
                let logQ = -0.5 * (log(2 * .pi) + lv + Double(eps[j] * eps[j]))
                let logP = -0.5 * (log(2 * .pi) + z * z)
                sum += logQ - logP
            }
        }
        let closed = -0.5 * (0..<2).reduce(0.0) { s, j in
            let mu = Double(headBias[j]), lv = Double(headBias[2 + j])
            return s + 1 + lv - mu * mu - exp(lv)
        }
        XCTAssertEqual(parts.kl, closed, accuracy: 1e-5)
        XCTAssertEqual(sum / Double(n), closed, accuracy: 0.01)  // Monte Carlo sd ≈ 0.002
    }

    func testEvaluateMatchesReferenceForward() throws {
        for likelihood in [Likelihood.bernoulli, .gaussianLearned, .gaussianFixed(sigma: 0.2)] {
            let config = ModelConfig(inputSize: 37, hiddenSizes: [9, 6], latentSize: 4, likelihood: likelihood)
            let model = try VAE(config: config, seed: 8, batchCapacity: 3)
            let b = 7  // more than the batch capacity: evaluated in pieces
            var x = TestData.uniform(b * 37, seed: 3)
            var rng = SeededRandom(seed: 10)
            var copy = rng
            let parts = model.evaluate(batch: &x, count: b, beta: 0.5, rng: &rng)
            // The same eps, drawn the way evaluate draws them: per piece of at most 3 examples.
            var eps: [Float] = []
            var start = 0
            while start < b {
                let n = min(3, b - start)
                var e = [Float](repeating: 0, count: n * 4)
                e.withUnsafeMutableBufferPointer { copy.fillNormals($0.baseAddress!, count: n * 4) }
                eps += e
                start += n
            }
            let ref = ReferenceVAE.loss(config, model.layout, model.parameters.map(Double.init),
                                        x: x.map(Double.init), eps: eps.map(Double.init), count: b, samples: 1)
            XCTAssertEqual(parts.reconstruction, ref.reconstruction / Double(b), accuracy: 1e-4 * abs(ref.reconstruction) / Double(b), "\(likelihood)")
            XCTAssertEqual(parts.kl, ref.kl / Double(b), accuracy: 1e-5 * abs(ref.kl) + 1e-6)
            XCTAssertEqual(parts.total, parts.reconstruction + 0.5 * parts.kl, accuracy: 1e-9)
        }
    }
}

final class FastSqrtTests: XCTestCase {
    func testFastSqrtMatchesLibm() {
        XCTAssertEqual(FastMath.sqrt(0), 0)
        XCTAssertEqual(FastMath.sqrt(1), 1, accuracy: 2e-7)
        var worst: Float = 0
        var x: Float = 1e-30
        while x < 1e30 {
            worst = max(worst, abs(FastMath.sqrt(x) - x.squareRoot()) / x.squareRoot())
            x *= 1.0137
        }
        XCTAssertLessThan(worst, 2.5e-7, "worst relative error \(worst)")
    }
}
