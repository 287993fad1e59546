// An independent, deliberately plain Double-precision VAE loss for the tests: naive loops over the
// same flat parameters (read through the model's named views), no BLAS, no fused passes, libm's
// exp and log. Gradient checks differentiate it by central differences; forward tests compare
// its loss with the model's.
import Foundation
import VAEModel

enum ReferenceVAE {
    /// y = W x + b for one example, W (out, in) row-major in `p` at the view's offsets.
    static func linear(_ p: [Double], _ v: LinearView, _ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: v.outputs)
        for o in 0 ..< v.outputs {
            var s = p[v.biasOffset + o]
            for i in 0 ..< v.inputs { s += p[v.weightOffset + o * v.inputs + i] * x[i] }
            y[o] = s
        }
        return y
    }

    static func relu(_ x: [Double]) -> [Double] { x.map { max($0, 0) } }

    /// log p(x|a) for one example.
    static func logLikelihood(_ config: ModelConfig, _ layout: ParameterLayout, _ p: [Double],
                              logits a: [Double], x: [Double]) -> Double {
        var s = 0.0
        switch config.likelihood {
        case .bernoulli:
            for d in 0 ..< a.count {
                // x log sigmoid(a) + (1 - x) log(1 - sigmoid(a)), written stably.
                let softplus = max(a[d], 0) + log1p(exp(-abs(a[d])))
                s += x[d] * a[d] - softplus
            }
        case .gaussianLearned, .gaussianFixed:
            for d in 0 ..< a.count {
                let lv: Double
                if case .gaussianFixed(let sigma) = config.likelihood {
                    lv = 2 * log(Double(sigma))
                } else {
                    lv = p[layout.logVarianceOffset! + d]
                }
                let m = 1 / (1 + exp(-a[d]))
                s += -0.5 * (log(2 * Double.pi) + lv + (x[d] - m) * (x[d] - m) * exp(-lv))
            }
        }
        return s
    }

    struct Parts { var reconstruction = 0.0; var kl = 0.0 }

    /// Σ over the batch of [-(1/L) Σ_l log p(x|z_l)] and of KL, for x (B, D) and eps (L, B, Z).
    static func loss(_ config: ModelConfig, _ layout: ParameterLayout, _ p: [Double],
                     x: [Double], eps: [Double], count b: Int, samples l: Int) -> Parts {
        let d = config.inputSize, zs = config.latentSize
        var parts = Parts()
        for i in 0 ..< b {
            let xi = Array(x[i * d ..< (i + 1) * d])
            var h = xi
            for v in layout.encoder { h = relu(linear(p, v, h)) }
            let head = linear(p, layout.head, h)
            let mu = Array(head[0 ..< zs]), lv = Array(head[zs ..< 2 * zs])
            for j in 0 ..< zs { parts.kl += -0.5 * (1 + lv[j] - mu[j] * mu[j] - exp(lv[j])) }
            for s in 0 ..< l {
                var z = [Double](repeating: 0, count: zs)
                for j in 0 ..< zs { z[j] = mu[j] + exp(0.5 * lv[j]) * eps[(s * b + i) * zs + j] }
                var g = z
                for v in layout.decoder { g = relu(linear(p, v, g)) }
                let a = linear(p, layout.output, g)
                parts.reconstruction -= logLikelihood(config, layout, p, logits: a, x: xi) / Double(l)
            }
        }
        return parts
    }
}

/// Deterministic test inputs.
enum TestData {
    /// (count) uniforms in [0, 1).
    static func uniform(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0 ..< count).map { _ in rng.uniform() }
    }

    /// (count) standard normals.
    static func normals(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: count) }
        return out
    }

    /// Blocky synthetic "images": each example is one of four templates plus a little noise, in [0, 1].
    static func patterns(count: Int, size d: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var x = [Float](repeating: 0, count: count * d)
        for i in 0 ..< count {
            let k = rng.bounded(4)
            for j in 0 ..< d {
                let on = (j * 4 / d) == k || (k == 3 && j % 2 == 0)
                x[i * d + j] = on ? 0.9 + 0.1 * rng.uniform() : 0.1 * rng.uniform()
            }
        }
        return x
    }
}

extension VAE {
    /// The parameters as a byte array (for bit-exact comparisons).
    var parameterBytes: [UInt8] { Array(UnsafeRawBufferPointer(parameters)) }
}
