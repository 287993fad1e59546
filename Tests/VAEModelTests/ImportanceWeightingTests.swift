// The importance-weighted bound: k = 1 is the one-sample ELBO, it rises with k towards log p(x),
// it is computed stably, and it agrees with a direct log-mean-exp of the reference weights.
import Foundation
import XCTest
import VAEModel

final class ImportanceWeightingTests: XCTestCase {
    let config = ModelConfig(inputSize: 30, hiddenSizes: [12], latentSize: 3)

    func testAgreesWithDirectLogMeanExpOfReferenceWeights() throws {
        let model = try VAE(config: config, seed: 2, batchCapacity: 4)
        let b = 6, k = 9, zs = 3  // 6 examples: two pieces (4 + 2); 9 samples: several blocks
        var x = TestData.uniform(b * 30, seed: 4)
        var rng = SeededRandom(seed: 7)
        var seeds = rng
        let bounds = model.importanceWeightedBound(batch: &x, count: b, samples: k, rng: &rng)
        // Redraw the same eps: each piece from a generator seeded by the next draw of the
        // caller's, in blocks of min(k - done, 4 / n) samples.
        let p = model.parameters.map(Double.init)
        var start = 0
        while start < b {
            let n = min(4, b - start)
            var copy = SeededRandom(seed: seeds.next())
            var logW = [[Double]](repeating: [], count: n)
            var done = 0
            while done < k {
                let s = min(k - done, 4 / n)
                var eps = [Float](repeating: 0, count: s * n * zs)
                eps.withUnsafeMutableBufferPointer { copy.fillNormals($0.baseAddress!, count: s * n * zs) }
                for l in 0 ..< s {
                    for i in 0 ..< n {
                        let xi = Array(x[(start + i) * 30 ..< (start + i + 1) * 30]).map(Double.init)
                        let e = Array(eps[(l * n + i) * zs ..< (l * n + i + 1) * zs]).map(Double.init)
                        let head = ReferenceVAE.head(model.layout, p, x: xi)
                        var z = [Double](repeating: 0, count: zs), logPz = 0.0, logQz = 0.0
                        for j in 0 ..< zs {
                            z[j] = head[j] + exp(0.5 * head[zs + j]) * e[j]
                            logPz += -0.5 * (z[j] * z[j] + log(2 * .pi))
                            logQz += -0.5 * (e[j] * e[j] + head[zs + j] + log(2 * .pi))
                        }
                        let a = ReferenceVAE.logits(model.layout, p, z: z)
                        let ll = ReferenceVAE.logLikelihood(config, model.layout, p, logits: a, x: xi)
                        logW[i].append(ll + logPz - logQz)
                    }
                }
                done += s
            }
            for i in 0 ..< n {
                let m = logW[i].max()!
                let direct = m + log(logW[i].reduce(0) { $0 + exp($1 - m) } / Double(k))
                XCTAssertEqual(bounds[start + i], direct, accuracy: 1e-4 * abs(direct))
            }
            start += n
        }
    }

    func testBoundRisesWithKAndKOneIsTheELBO() throws {
        let model = try VAE(config: config, seed: 3, batchCapacity: 32, mcSamples: 1, learningRate: 1e-2)
        let data = TestData.patterns(count: 32, size: 30, seed: 1)
        var rng = SeededRandom(seed: 1)
        for _ in 0 ..< 150 { data.withUnsafeBufferPointer { _ = model.trainStep(batch: $0.baseAddress!, count: 32, beta: 1, rng: &rng) } }
        func mean(_ k: Int, seed: UInt64) -> Double {
            var r = SeededRandom(seed: seed)
            let b = data.withUnsafeBufferPointer { model.importanceWeightedBound(batch: $0.baseAddress!, count: 32, samples: k, rng: &r) }
            return b.reduce(0, +) / 32
        }
        // k = 1 averaged over many draws is the ELBO (the negative of evaluate's loss on average).
        var elboSum = 0.0, iw1Sum = 0.0
        for s in 0 ..< 50 {
            var r = SeededRandom(seed: 100 + UInt64(s))
            elboSum -= data.withUnsafeBufferPointer { model.evaluate(batch: $0.baseAddress!, count: 32, rng: &r) }.negativeELBO
            iw1Sum += mean(1, seed: 500 + UInt64(s))
        }
        XCTAssertEqual(iw1Sum / 50, elboSum / 50, accuracy: 0.02 * abs(elboSum / 50))
        let k10 = mean(10, seed: 9), k200 = mean(200, seed: 9)
        XCTAssertGreaterThan(k10, iw1Sum / 50)
        XCTAssertGreaterThan(k200, k10)
    }

    func testStableForVeryNegativeLogWeights() throws {
        // Saturated logits make log p(x|z) hundreds of nats below zero: exp would underflow.
        let model = try VAE(config: config, seed: 3, batchCapacity: 4)
        let o = model.layout.output!
        for i in 0 ..< o.outputs { model.parameters[o.biasOffset + i] = 80 }
        var x = [Float](repeating: 0, count: 30)
        var rng = SeededRandom(seed: 1)
        let b = model.importanceWeightedBound(batch: &x, count: 1, samples: 50, rng: &rng)
        XCTAssert(b[0].isFinite)
        XCTAssertLessThan(b[0], -2000)
    }
}
