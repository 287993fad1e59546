// Data-parallel training (`VAE.useThreads`): the bits depend only on the thread count, T slices
// give the sum of the slices' own gradients added in slice order, the gradients agree with one
// thread's within rounding, and the reduction's ranges and order are fixed.
import XCTest
@testable import VAEModel

final class SliceThreadsTests: XCTestCase {
    let mlp = ModelConfig(inputSize: 37, hiddenSizes: [9, 6], latentSize: 4, likelihood: .gaussianLearned)
    let conv = ModelConfig.conv(height: 8, width: 8, channels: 1, convChannels: [2, 3], latentSize: 2)

    /// Parameters, moments and losses after `steps` steps on `threads` threads (batch 13, 2
    /// samples, dynamic batch sizes: the last step takes 5 examples).
    func trained(_ config: ModelConfig, threads: Int, steps: Int = 6, samples: Int = 2) throws -> (bits: [UInt32], losses: [LossParts]) {
        let model = try VAE(config: config, seed: 4, batchCapacity: 13, mcSamples: samples, learningRate: 1e-2)
        model.useThreads(threads)
        let x = TestData.uniform(13 * config.inputSize, seed: 5)
        var rng = SeededRandom(seed: 6)
        var losses: [LossParts] = []
        for s in 0 ..< steps {
            losses.append(model.trainStep(batch: x, count: s == steps - 1 ? 5 : 13, beta: 0.9, rng: &rng))
        }
        return ((Array(model.parameters) + Array(model.adamM) + Array(model.adamV)).map(\.bitPattern), losses)
    }

    /// The gradients of one batch of `count` examples on `threads` threads.
    func gradients(_ config: ModelConfig, threads: Int, count: Int = 11, samples: Int = 2) throws -> (g: [Float], loss: LossParts) {
        let model = try VAE(config: config, seed: 4, batchCapacity: 4, mcSamples: 1)
        model.useThreads(threads)
        let x = TestData.uniform(count * config.inputSize, seed: 5)
        let eps = TestData.normals(samples * count * config.latentSize, seed: 7)
        let loss = model.computeGradients(batch: x, count: count, beta: 0.9, samples: samples, eps: eps)
        return (Array(model.gradients), loss)
    }

    func testExactOneThreadAfterUseThreadsIsTheModelThatNeverCalledIt() throws {
        // T = 1 runs the single-thread pass itself: one slice, no reduction, Adam in one loop.
        let model = try VAE(config: mlp, seed: 4, batchCapacity: 13, mcSamples: 2, learningRate: 1e-2)
        model.useThreads(3)
        model.useThreads(1)
        XCTAssertEqual(model.threads, 1)
        let plain = try VAE(config: mlp, seed: 4, batchCapacity: 13, mcSamples: 2, learningRate: 1e-2)
        let x = TestData.uniform(13 * mlp.inputSize, seed: 5)
        var r1 = SeededRandom(seed: 6), r2 = SeededRandom(seed: 6)
        for _ in 0 ..< 3 {
            XCTAssertEqual(model.trainStep(batch: x, count: 13, beta: 1, rng: &r1), plain.trainStep(batch: x, count: 13, beta: 1, rng: &r2))
        }
        XCTAssertEqual(model.parameterBytes, plain.parameterBytes)
    }

    func testExactRunsOnTheSameThreadCountAreByteIdentical() throws {
        for config in [mlp, conv] {
            for t in [2, 3] {
                let a = try trained(config, threads: t), b = try trained(config, threads: t)
                XCTAssertEqual(a.bits, b.bits, "\(config.architecture), \(t) threads")
                XCTAssertEqual(a.losses, b.losses)
            }
        }
    }

    func testExactReductionOrderDoesNotDependOnTiming() throws {
        // More threads than cores, many times over: a reduction that added the slices in the order
        // they finished would change the low bits between repeats.
        let first = try trained(mlp, threads: 4, steps: 3)
        for _ in 0 ..< 25 {
            XCTAssertEqual(try trained(mlp, threads: 4, steps: 3).bits, first.bits)
        }
    }

    func testExactScoreFunctionBaselineOnTwoThreadsIsReproducible() throws {
        func run() throws -> VAE {
            let model = try VAE(config: mlp, seed: 4, batchCapacity: 13, mcSamples: 2, learningRate: 1e-2)
            model.useThreads(2)
            model.estimator = .scoreFunctionBaseline
            let x = TestData.uniform(13 * mlp.inputSize, seed: 5)
            var rng = SeededRandom(seed: 6)
            for _ in 0 ..< 4 { model.trainStep(batch: x, count: 13, beta: 1, rng: &rng) }
            return model
        }
        let a = try run(), b = try run()
        XCTAssertEqual(a.parameterBytes, b.parameterBytes)
        XCTAssertEqual(a.scoreBaseline, b.scoreBaseline)
        XCTAssertNotNil(a.scoreBaseline.value)
    }

    func testExactSlicedGradientsAreTheSlicesGradientsAddedInOrder() throws {
        // T = 3 on 11 examples: slices [0, 3), [3, 7), [7, 11), each computed alone on one thread,
        // then g = (g_0 + g_1) + g_2: the same bits as the three-thread pass.
        for config in [mlp, conv] {
            let count = 11, samples = 2, d = config.inputSize, zs = config.latentSize
            let x = TestData.uniform(count * d, seed: 5)
            let eps = TestData.normals(samples * count * zs, seed: 7)
            var sum: [Float]? = nil
            var rec = 0.0, kl = 0.0
            for s in 0 ..< 3 {
                let slice = WorkerPool.slice(s, of: count, parts: 3)
                var sliceEps: [Float] = []
                for l in 0 ..< samples { sliceEps += eps[((l * count + slice.lowerBound) * zs) ..< ((l * count + slice.upperBound) * zs)] }
                let one = try VAE(config: config, seed: 4, batchCapacity: 4, mcSamples: 1)
                let part = Array(x[(slice.lowerBound * d) ..< (slice.upperBound * d)])
                let loss = one.computeGradients(batch: part, count: slice.count, beta: 0.9, samples: samples, eps: sliceEps)
                rec += loss.reconstruction * Double(slice.count)
                kl += loss.kl * Double(slice.count)
                let g = Array(one.gradients)
                sum = sum.map { zip($0, g).map { $0 + $1 } } ?? g
            }
            let three = try gradients(config, threads: 3)
            XCTAssertEqual(three.g.map(\.bitPattern), sum!.map(\.bitPattern), "\(config.architecture)")
            XCTAssertEqual(three.loss.reconstruction, rec / Double(count), accuracy: 1e-9 * abs(rec))
            XCTAssertEqual(three.loss.kl, kl / Double(count), accuracy: 1e-9 * abs(kl) + 1e-12)
        }
    }

    func testTwoThreadGradientsAgreeWithOneThreadWithinRounding() throws {
        for config in [mlp, conv] {
            let one = try gradients(config, threads: 1), two = try gradients(config, threads: 2)
            let scale = one.g.map { abs($0) }.max()!
            var worst: Float = 0
            for (a, b) in zip(one.g, two.g) { worst = max(worst, abs(a - b)) }
            // Float sums of 11 examples' terms in another grouping: a few ulps of the largest gradient.
            XCTAssertLessThan(worst, 1e-5 * scale, "\(config.architecture): largest difference \(worst), largest gradient \(scale)")
            XCTAssertNotEqual(one.g, two.g.map { $0 + 1 })  // the comparison sees a change
            XCTAssertEqual(one.loss.total, two.loss.total, accuracy: 1e-5 * abs(one.loss.total))
        }
    }

    func testExactParallelTrainStepIsParallelGradientsThenAdam() throws {
        let a = try VAE(config: mlp, seed: 3, batchCapacity: 9, mcSamples: 2)
        let b = try VAE(config: mlp, seed: 3, batchCapacity: 9, mcSamples: 2)
        a.useThreads(2); b.useThreads(2)
        let x = TestData.uniform(9 * mlp.inputSize, seed: 1)
        var rngA = SeededRandom(seed: 8), rngB = SeededRandom(seed: 8)
        for _ in 0 ..< 3 {
            let pa = a.trainStep(batch: x, count: 9, beta: 0.8, rng: &rngA)
            var eps = [Float](repeating: 0, count: 2 * 9 * mlp.latentSize)
            eps.withUnsafeMutableBufferPointer { rngB.fillNormals($0.baseAddress!, count: $0.count) }
            let pb = b.computeGradients(batch: x, count: 9, beta: 0.8, samples: 2, eps: eps)
            b.optimizer.update(parameters: b.parameters.baseAddress!, gradients: b.gradients.baseAddress!,
                               m: b.adamM.baseAddress!, v: b.adamV.baseAddress!, count: b.layout.count)
            XCTAssertEqual(pa, pb)
        }
        XCTAssertEqual(a.parameterBytes, b.parameterBytes)
        XCTAssertEqual(Array(a.adamV).map(\.bitPattern), Array(b.adamV).map(\.bitPattern))
    }

    func testFewerExamplesThanThreads() throws {
        // Slices may be empty: 2 examples on 3 threads is the sum of two one-example slices.
        let three = try gradients(mlp, threads: 3, count: 2)
        let one = try gradients(mlp, threads: 1, count: 2)
        XCTAssert(three.g.allSatisfy(\.isFinite))
        for (a, b) in zip(one.g, three.g) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a))) }
    }

    func testReductionRangesCoverEveryParameterOnSixteenFloatBoundaries() {
        for (count, ranges) in [(651_924, 2), (100, 3), (5, 4), (17, 1), (1000, 7)] {
            let r = GradientReduction(count: count, ranges: ranges)
            var next = 0
            for k in 0 ..< ranges {
                let range = r.range(k)
                XCTAssertEqual(range.lowerBound, next)
                XCTAssertEqual(range.lowerBound % 16, 0)
                next = range.upperBound
            }
            XCTAssertEqual(next, count)
        }
    }

    func testAccumulateAddsTheSlicesLeftToRight() {
        // Values whose sum depends on the grouping: (1e8 + 1) + (-1e8) = 0 in Float, not 1.
        let n = 37
        let g0 = UnsafeMutablePointer<Float>.allocate(capacity: n), g1 = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let g2 = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { g0.deallocate(); g1.deallocate(); g2.deallocate() }
        for i in 0 ..< n { g0[i] = 1e8; g1[i] = 1; g2[i] = -1e8 }
        let reduction = GradientReduction(count: n, ranges: 3)
        for k in 0 ..< 3 { GradientReduction.accumulate(into: g0, [g1, g2], range: reduction.range(k)) }
        for i in 0 ..< n { XCTAssertEqual(g0[i], 0, "element \(i)") }
    }
}
