// The Monte Carlo objectives (the IWAE bound and the ELBO with a sampled KL) and the VampPrior:
// gradients against finite differences of the Double reference (ReferenceVAE.monteCarloLoss) for
// the MLP and the conv model, on one and two threads; the IWAE objective with one sample against
// the ELBO's; the Monte Carlo KL against the closed form; and draws from the mixture.
import XCTest
@testable import VAEModel

final class MonteCarloObjectiveTests: XCTestCase {
    static let mlp = ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3)

    static func vamp(_ c: ModelConfig, _ k: Int) -> ModelConfig {
        var c = c
        c.prior = .vamp(pseudoInputs: k)
        return c
    }

    func testIWAEGradientsMatchFiniteDifferences() throws {
        try GradientCheck.assertPasses(Self.mlp, samples: 4, objective: .iwae)
        var gaussian = Self.mlp
        gaussian.likelihood = .gaussianLearned
        try GradientCheck.assertPasses(gaussian, samples: 3, objective: .iwae)
    }

    func testMonteCarloELBOGradientsMatchFiniteDifferences() throws {
        try GradientCheck.assertPasses(Self.mlp, samples: 2, objective: .elbo)
    }

    func testVampPriorGradientsMatchFiniteDifferences() throws {
        try GradientCheck.assertPasses(Self.vamp(Self.mlp, 3), samples: 2, objective: .elbo)
        try GradientCheck.assertPasses(Self.vamp(Self.mlp, 2), samples: 3, objective: .iwae)
    }

    func testVampPriorGradientsOnTwoThreads() throws {
        try GradientCheck.assertPasses(Self.vamp(Self.mlp, 3), samples: 2, count: 5, threads: 2, objective: .iwae)
    }

    func testConvIWAEAndVampGradientsMatchFiniteDifferences() throws {
        let conv = ModelConfig.conv(height: 4, width: 4, channels: 1, convChannels: [2], latentSize: 2)
        try GradientCheck.assertPasses(conv, samples: 3, count: 3, objective: .iwae)
        try GradientCheck.assertPasses(Self.vamp(conv, 2), samples: 2, count: 3, objective: .iwae)
    }

    func testConditionalIWAEGradientsMatchFiniteDifferences() throws {
        var c = Self.mlp
        c.classNames = ["a", "b", "c"]
        try GradientCheck.assertPasses(c, samples: 3, objective: .iwae)
    }

    /// A 1% error in the pseudo-inputs' gradient fails the check: it is not vacuous.
    func testCheckCatchesAnErrorInThePseudoInputs() throws {
        let config = Self.vamp(Self.mlp, 3)
        let r = try GradientCheck.check(config, samples: 2, only: ["prior.pseudo_inputs"], objective: .iwae) { g, layout in
            for i in layout.pseudoInputsOffset! ..< layout.count { g[i] *= 1.01 }
        }
        XCTAssertGreaterThan(r.maxRatio, 1)
    }

    /// With one sample the IWAE bound is the one-sample ELBO (with its KL sampled): the same loss
    /// and the same gradients.
    func testIWAEWithOneSampleIsTheELBO() throws {
        for config in [Self.mlp, Self.vamp(Self.mlp, 4)] {
            let b = 5
            let x = TestData.uniform(b * config.inputSize, seed: 11)
            let eps = TestData.normals(b * config.latentSize, seed: 12)
            func pass(_ objective: TrainingObjective) throws -> (LossParts, [Float]) {
                let model = try VAE(config: config, seed: 4, batchCapacity: b)
                model.objective = objective
                model.monteCarloKL = true
                let parts = model.computeGradients(batch: x, count: b, beta: 0.8, samples: 1, eps: eps)
                return (parts, Array(model.gradients))
            }
            let (elbo, elboGradients) = try pass(.elbo)
            let (iwae, iwaeGradients) = try pass(.iwae)
            XCTAssertEqual(iwae.total, elbo.total, accuracy: 1e-9 * abs(elbo.total))
            XCTAssertEqual(iwae.reconstruction, elbo.reconstruction)
            XCTAssertEqual(iwae.kl, elbo.kl)
            let worst = zip(iwaeGradients, elboGradients).map { abs($0 - $1) / (1e-6 + abs($1)) }.max()!
            XCTAssertLessThan(worst, 1e-5, "IWAE k=1 and ELBO gradients differ")
            // And the ELBO's objective is reconstruction + beta · KL.
            XCTAssertEqual(elbo.total, elbo.reconstruction + 0.8 * elbo.kl, accuracy: 1e-5 * abs(elbo.total))
        }
    }

    /// The sampled KL's mean over many draws is the closed form, and so are their gradients.
    func testMonteCarloKLAveragesToTheClosedForm() throws {
        let config = Self.mlp, b = 3, l = 40000
        let model = try VAE(config: config, seed: 5, batchCapacity: b)
        let x = TestData.uniform(b * config.inputSize, seed: 13)
        let eps = TestData.normals(l * b * config.latentSize, seed: 14)
        let closed = model.computeGradients(batch: x, count: b, beta: 1, samples: l, eps: eps)
        let closedGradients = Array(model.gradients)
        model.monteCarloKL = true
        let sampled = model.computeGradients(batch: x, count: b, beta: 1, samples: l, eps: eps)
        XCTAssertEqual(sampled.reconstruction, closed.reconstruction, accuracy: 1e-9 * abs(closed.reconstruction))
        XCTAssertEqual(sampled.kl, closed.kl, accuracy: 0.05 * abs(closed.kl) + 0.01)
        XCTAssertNotEqual(sampled.kl, closed.kl)
        let head = model.layout.head
        let range = head.biasOffset ..< head.biasOffset + 2 * config.latentSize
        for i in range {
            XCTAssertEqual(model.gradients[i], closedGradients[i], accuracy: 0.02 * abs(closedGradients[i]) + 0.03, "head bias \(i)")
        }
    }

    /// The IWAE objective is a tighter bound than the ELBO: below it for every example, with the
    /// same samples.
    func testIWAELossIsBelowTheELBOLoss() throws {
        let config = Self.mlp, b = 4, l = 8
        let model = try VAE(config: config, seed: 6, batchCapacity: b)
        let x = TestData.uniform(b * config.inputSize, seed: 15)
        let eps = TestData.normals(l * b * config.latentSize, seed: 16)
        model.monteCarloKL = true
        let elbo = model.computeGradients(batch: x, count: b, beta: 1, samples: l, eps: eps)
        model.objective = .iwae
        let iwae = model.computeGradients(batch: x, count: b, beta: 1, samples: l, eps: eps)
        XCTAssertLessThan(iwae.total, elbo.total)
        XCTAssertEqual(iwae.negativeELBO, elbo.negativeELBO, accuracy: 1e-9 * abs(elbo.total))
    }

    func testStandardPriorDrawsAreScaledAndSeeded() throws {
        let model = try VAE(config: ModelConfig(inputSize: 4, hiddenSizes: [], latentSize: 10), seed: 1)
        var r1 = SeededRandom(seed: 3), r2 = SeededRandom(seed: 3), r3 = SeededRandom(seed: 4)
        let a = model.samplePrior(count: 1000, temperature: 0.5, rng: &r1)
        let b = model.samplePrior(count: 1000, temperature: 1, rng: &r2)
        let c = model.samplePrior(count: 1000, temperature: 0.5, rng: &r3)
        XCTAssertEqual(a, b.map { $0 * 0.5 })
        XCTAssertNotEqual(a, c)
        let variance = b.map { $0 * $0 }.reduce(0, +) / Float(b.count)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    /// Draws from the VampPrior come from its components: their mean is that of the components'
    /// means, and their spread that of the mixture.
    func testSamplesFromTheVampPriorFollowTheMixture() throws {
        let config = Self.vamp(Self.mlp, 3), zs = config.latentSize, n = 30000
        let model = try VAE(config: config, seed: 7, batchCapacity: 8)
        let heads = model.mixtureHeads()
        var rng = SeededRandom(seed: 8)
        let z = model.samplePrior(count: n, rng: &rng)
        for j in 0 ..< zs {
            let mus = (0 ..< 3).map { Double(heads[$0 * 2 * zs + j]) }
            let vars = (0 ..< 3).map { exp(Double(heads[$0 * 2 * zs + zs + j])) }
            let mean = mus.reduce(0, +) / 3
            let variance = zip(mus, vars).map { $1 + $0 * $0 }.reduce(0, +) / 3 - mean * mean
            let sample = (0 ..< n).map { Double(z[$0 * zs + j]) }
            let sampleMean = sample.reduce(0, +) / Double(n)
            let sampleVariance = sample.map { ($0 - sampleMean) * ($0 - sampleMean) }.reduce(0, +) / Double(n)
            XCTAssertEqual(sampleMean, mean, accuracy: 4 * (variance / Double(n)).squareRoot(), "dimension \(j)")
            XCTAssertEqual(sampleVariance, variance, accuracy: 0.05 * variance, "dimension \(j)")
        }
    }
}
