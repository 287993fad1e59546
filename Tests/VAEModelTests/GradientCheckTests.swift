// Gradient checks: the model's hand-written backward pass (Float32, OpenBLAS, fused passes) against
// central finite differences of the independent Double-precision reference loss, for every
// parameter tensor, every likelihood, one and several samples, one and two hidden layers. The
// tolerance is shown to be tight by checks that must fail for deliberately wrong gradients.
import XCTest
@testable import VAEModel

/// The gradient check, shared by the MLP and conv tests.
enum GradientCheck {
    static let rtol = 1e-3
    static let atol = 1e-5

    struct Result {
        /// Per tensor: the worst |numeric - analytic| / (atol + rtol·max(|numeric|, |analytic|)).
        var worst: [(name: String, ratio: Double, numeric: Double, analytic: Double)]
        /// Per tensor: the largest |numeric gradient| (a check of an all-zero gradient proves nothing).
        var largest: [String: Double] = [:]
        var maxRatio: Double { worst.map(\.ratio).max() ?? 0 }
    }

    /// Runs the check for one configuration. `corrupt` may alter the analytic gradient first (to
    /// show the check fails); `gradientBeta` lets the analytic gradient use another beta; `only`
    /// restricts the finite differences to the named tensors; `objective` checks a Monte Carlo
    /// objective (MonteCarloObjective.swift) instead of the closed-form ELBO.
    static func check(_ config: ModelConfig, samples l: Int, count b: Int = 4, beta: Float = 0.7,
                      gradientBeta: Float? = nil, seed: UInt64 = 3, only: Set<String>? = nil, threads: Int = 1,
                      objective: TrainingObjective? = nil,
                      corrupt: ((inout [Float], ParameterLayout) -> Void)? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let model = try VAE(config: config, seed: seed, batchCapacity: 2, mcSamples: 1)
        model.useThreads(threads)
        if let objective {
            model.objective = objective
            model.monteCarloKL = true
        }
        let d = config.inputSize, zs = config.latentSize
        let x = TestData.uniform(b * d, seed: seed + 100)
        let eps = TestData.normals(l * b * zs, seed: seed + 200)
        // A conditional model: example i of class (2i + 1) mod K, so that classes differ and repeat.
        let labels: [Int]? = config.isConditional ? (0 ..< b).map { (2 * $0 + 1) % config.classCount } : nil
        let labels16 = labels?.map { UInt16($0) } ?? []
        let parts = x.withUnsafeBufferPointer { xp in
            eps.withUnsafeBufferPointer { ep in
                labels16.withUnsafeBufferPointer { yp in
                    model.computeGradients(batch: xp.baseAddress!, count: b, beta: gradientBeta ?? beta,
                                           samples: l, eps: ep.baseAddress!, labels: labels == nil ? nil : yp.baseAddress!)
                }
            }
        }
        var analytic = Array(model.gradients)
        corrupt?(&analytic, model.layout)

        var p = model.parameters.map(Double.init)
        let xd = x.map(Double.init), ed = eps.map(Double.init)
        func f() -> Double {
            if let objective {
                return ReferenceVAE.monteCarloLoss(config, model.layout, p, x: xd, eps: ed, count: b, samples: l,
                                                   objective: objective, beta: Double(beta), labels: labels).objective
            }
            let r = ReferenceVAE.loss(config, model.layout, p, x: xd, eps: ed, count: b, samples: l, labels: labels)
            return r.reconstruction + Double(beta) * r.kl
        }
        // The forward pass itself must agree with the reference.
        var reference = ReferenceVAE.loss(config, model.layout, p, x: xd, eps: ed, count: b, samples: l, labels: labels)
        if let objective {
            let mc = ReferenceVAE.monteCarloLoss(config, model.layout, p, x: xd, eps: ed, count: b, samples: l,
                                                 objective: objective, beta: Double(gradientBeta ?? beta), labels: labels)
            reference = mc.parts
            XCTAssertEqual(parts.total * Double(b), mc.objective, accuracy: 1e-5 * abs(mc.objective) + 1e-5,
                           "objective", file: file, line: line)
        }
        XCTAssertEqual(parts.reconstruction * Double(b), reference.reconstruction,
                       accuracy: 1e-5 * abs(reference.reconstruction) + 1e-5, "reconstruction", file: file, line: line)
        XCTAssertEqual(parts.kl * Double(b), reference.kl, accuracy: 1e-5 * abs(reference.kl) + 1e-5,
                       "kl", file: file, line: line)

        let h = 1e-5
        var result = Result(worst: [])
        for (name, range) in model.layout.tensors where only?.contains(name) ?? true {
            var worst = (name: name, ratio: 0.0, numeric: 0.0, analytic: 0.0)
            var largest = 0.0
            for i in range {
                let saved = p[i]
                p[i] = saved + h
                let plus = f()
                p[i] = saved - h
                let minus = f()
                p[i] = saved
                let numeric = (plus - minus) / (2 * h)
                let a = Double(analytic[i])
                largest = max(largest, abs(numeric))
                let ratio = abs(numeric - a) / (atol + rtol * max(abs(numeric), abs(a)))
                if ratio > worst.ratio { worst = (name, ratio, numeric, a) }
            }
            result.worst.append(worst)
            result.largest[name] = largest
        }
        return result
    }

    static func assertPasses(_ config: ModelConfig, samples l: Int, count b: Int = 4, threads: Int = 1,
                             objective: TrainingObjective? = nil,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try check(config, samples: l, count: b, threads: threads, objective: objective, file: file, line: line)
        XCTAssertEqual(r.worst.count, ParameterLayout(config: config).tensors.count, file: file, line: line)
        for w in r.worst {
            XCTAssertGreaterThan(r.largest[w.name]!, 1e-3, "\(w.name): gradient is all zero, the check proves nothing", file: file, line: line)
            XCTAssertLessThan(w.ratio, 1, "\(w.name): numeric \(w.numeric) analytic \(w.analytic)", file: file, line: line)
        }
    }

    /// Asserts that a 1% error in each tensor in turn fails the check of that tensor.
    static func assertCatchesOnePercentError(_ config: ModelConfig, samples l: Int,
                                             file: StaticString = #filePath, line: UInt = #line) throws {
        for tensor in ParameterLayout(config: config).tensors.map(\.name) {
            let r = try check(config, samples: l, only: [tensor]) { g, layout in
                let range = layout.tensors.first { $0.name == tensor }!.range
                for i in range { g[i] *= 1.01 }
            }
            XCTAssertGreaterThan(r.worst.first { $0.name == tensor }!.ratio, 1,
                                 "a 1% error in \(tensor) must fail the check", file: file, line: line)
        }
    }
}

final class GradientCheckTests: XCTestCase {
    func assertPasses(_ config: ModelConfig, samples l: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        try GradientCheck.assertPasses(config, samples: l, file: file, line: line)
    }

    func check(_ config: ModelConfig, samples l: Int, gradientBeta: Float? = nil,
               corrupt: ((inout [Float], ParameterLayout) -> Void)? = nil) throws -> GradientCheck.Result {
        try GradientCheck.check(config, samples: l, gradientBeta: gradientBeta, corrupt: corrupt)
    }

    func testBernoulliOneHiddenOneSample() throws {
        try assertPasses(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3), samples: 1)
    }

    func testBernoulliTwoHiddenThreeSamples() throws {
        try assertPasses(ModelConfig(inputSize: 6, hiddenSizes: [5, 4], latentSize: 3), samples: 3)
    }

    func testGaussianLearnedTwoHiddenOnThreeDataParallelThreads() throws {
        // 5 examples on 3 threads: slices of 1, 2 and 2 examples, their gradients summed.
        try GradientCheck.assertPasses(ModelConfig(inputSize: 6, hiddenSizes: [5, 4], latentSize: 3, likelihood: .gaussianLearned),
                                       samples: 2, count: 5, threads: 3)
    }

    func testBernoulliNoHiddenTwoSamples() throws {
        try assertPasses(ModelConfig(inputSize: 6, hiddenSizes: [], latentSize: 3), samples: 2)
    }

    func testBernoulliFullVectorWidthAndTail() throws {
        // D = 21: one full 16-lane chunk and a 5-lane tail in the fused output pass.
        try assertPasses(ModelConfig(inputSize: 21, hiddenSizes: [7], latentSize: 3), samples: 2)
    }

    func testGaussianLearnedOneHiddenOneSample() throws {
        try assertPasses(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3, likelihood: .gaussianLearned), samples: 1)
    }

    func testGaussianLearnedTwoHiddenTwoSamples() throws {
        try assertPasses(ModelConfig(inputSize: 21, hiddenSizes: [7, 5], latentSize: 3, likelihood: .gaussianLearned), samples: 2)
    }

    func testGaussianFixedOneHiddenTwoSamples() throws {
        try assertPasses(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3, likelihood: .gaussianFixed(sigma: 0.5)), samples: 2)
    }

    func testGaussianFixedTwoHiddenOneSample() throws {
        try assertPasses(ModelConfig(inputSize: 21, hiddenSizes: [7, 5], latentSize: 3, likelihood: .gaussianFixed(sigma: 0.3)), samples: 1)
    }

    func testEveryStepOverwritesEveryGradient() throws {
        // Gradients of one batch, then of another: the second must not carry anything of the first.
        let config = ModelConfig(inputSize: 21, hiddenSizes: [7, 5], latentSize: 3, likelihood: .gaussianLearned)
        let used = try VAE(config: config, seed: 1, batchCapacity: 4, mcSamples: 2)
        let fresh = try VAE(config: config, seed: 1, batchCapacity: 4, mcSamples: 2)
        let x1 = TestData.uniform(4 * 21, seed: 1), x2 = TestData.uniform(4 * 21, seed: 2)
        let eps1 = TestData.normals(2 * 4 * 3, seed: 3), eps2 = TestData.normals(2 * 4 * 3, seed: 4)
        used.computeGradients(batch: x1, count: 4, beta: 1, samples: 2, eps: eps1)
        used.computeGradients(batch: x2, count: 4, beta: 1, samples: 2, eps: eps2)
        fresh.computeGradients(batch: x2, count: 4, beta: 1, samples: 2, eps: eps2)
        XCTAssertEqual(Array(used.gradients).map(\.bitPattern), Array(fresh.gradients).map(\.bitPattern))
        XCTAssert(used.gradients.contains { $0 != 0 })
    }

    // MARK: The check must fail for wrong gradients

    func testCheckCatchesMissingKLTerm() throws {
        let config = ModelConfig(inputSize: 6, hiddenSizes: [5, 4], latentSize: 3)
        let r = try check(config, samples: 2, gradientBeta: 0)
        let head = r.worst.filter { $0.name.hasPrefix("head") || $0.name.hasPrefix("encoder") }
        XCTAssertGreaterThan(head.map(\.ratio).max()!, 10, "a gradient without the KL term must fail the check")
    }

    func testCheckCatchesOnePercentError() throws {
        try GradientCheck.assertCatchesOnePercentError(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3), samples: 1)
    }

    func testCheckCatchesWrongSign() throws {
        let config = ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3, likelihood: .gaussianLearned)
        let r = try check(config, samples: 1) { g, layout in
            for i in layout.logVarianceOffset! ..< layout.count { g[i] = -g[i] }
        }
        XCTAssertGreaterThan(r.worst.first { $0.name == "logVariance" }!.ratio, 10)
    }
}
