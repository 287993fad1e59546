// An independent, deliberately plain Double-precision VAE loss for the tests: naive loops over the
// same flat parameters (read through the model's named views), no BLAS, no fused passes, no
// im2col, libm's exp and log. Convolutions are direct nested loops straight from their definition
// (the transposed one scatters each input pixel, where the model gathers). Gradient checks
// differentiate it by central differences; forward tests compare its loss with the model's.
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

    /// A convolution of one channels-last image x (Hi, Wi, Ci), weight (Co, k, k, Ci), by its
    /// definition: y[oy, ox, co] = b[co] + Σ_{ky, kx, ci} w[co, ky, kx, ci] x[oy·s - p + ky, ox·s - p + kx, ci].
    static func conv(_ p: [Double], _ v: ConvView, _ x: [Double]) -> [Double] {
        let k = v.kernel, ci = v.inChannels, co = v.outChannels
        var y = [Double](repeating: 0, count: v.outputCount)
        for o in 0 ..< co {
            for oy in 0 ..< v.outHeight {
                for ox in 0 ..< v.outWidth {
                    var s = p[v.biasOffset + o]
                    for ky in 0 ..< k {
                        for kx in 0 ..< k {
                            let iy = oy * v.stride - v.padding + ky, ix = ox * v.stride - v.padding + kx
                            if iy < 0 || iy >= v.inHeight || ix < 0 || ix >= v.inWidth { continue }
                            for c in 0 ..< ci {
                                s += p[v.weightOffset + ((o * k + ky) * k + kx) * ci + c] * x[(iy * v.inWidth + ix) * ci + c]
                            }
                        }
                    }
                    y[(oy * v.outWidth + ox) * co + o] = s
                }
            }
        }
        return y
    }

    /// A transposed convolution of one channels-last image x (Hi, Wi, Ci), weight (k, k, Co, Ci),
    /// by its definition: every input pixel scatters x[iy, ix, ci] · w[ky, kx, co, ci] onto
    /// y[iy·s - p + ky, ix·s - p + kx, co]; then the bias.
    static func convTranspose(_ p: [Double], _ v: ConvView, _ x: [Double]) -> [Double] {
        let k = v.kernel, ci = v.inChannels, co = v.outChannels
        var y = [Double](repeating: 0, count: v.outputCount)
        for iy in 0 ..< v.inHeight {
            for ix in 0 ..< v.inWidth {
                for c in 0 ..< ci {
                    for ky in 0 ..< k {
                        for kx in 0 ..< k {
                            let oy = iy * v.stride - v.padding + ky, ox = ix * v.stride - v.padding + kx
                            if oy < 0 || oy >= v.outHeight || ox < 0 || ox >= v.outWidth { continue }
                            for o in 0 ..< co {
                                y[(oy * v.outWidth + ox) * co + o] +=
                                    p[v.weightOffset + ((ky * k + kx) * co + o) * ci + c] * x[(iy * v.inWidth + ix) * ci + c]
                            }
                        }
                    }
                }
            }
        }
        for i in 0 ..< y.count { y[i] += p[v.biasOffset + i % co] }
        return y
    }

    /// The encoder's head [mu | logvar] (2Z) for one example x (D).
    static func head(_ layout: ParameterLayout, _ p: [Double], x: [Double]) -> [Double] {
        var h = x
        for v in layout.encoder { h = relu(linear(p, v, h)) }
        for v in layout.convEncoder { h = relu(conv(p, v, h)) }
        return linear(p, layout.head, h)
    }

    /// The decoder's logits (D) for one latent vector z (Z).
    static func logits(_ layout: ParameterLayout, _ p: [Double], z: [Double]) -> [Double] {
        var g = z
        for v in layout.decoder { g = relu(linear(p, v, g)) }
        if let output = layout.output { return linear(p, output, g) }
        for (j, v) in layout.convDecoder.enumerated() {
            g = convTranspose(p, v, g)
            if j < layout.convDecoder.count - 1 { g = relu(g) }
        }
        return g
    }

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

    /// A conditional model's input: x with the one-hot label y appended, after all of x (MLP)
    /// or after every pixel's `channels` values (conv: y as constant planes).
    static func withLabel(_ x: [Double], label: Int, classes k: Int, channels: Int? = nil) -> [Double] {
        let y = (0 ..< k).map { $0 == label ? 1.0 : 0.0 }
        guard let c = channels else { return x + y }
        return stride(from: 0, to: x.count, by: c).flatMap { Array(x[$0 ..< $0 + c]) + y }
    }

    /// Σ over the batch of [-(1/L) Σ_l log p(x|z_l)] and of KL, for x (B, D) and eps (L, B, Z);
    /// with `labels` (B), of the conditional model's -(1/L) Σ_l log p(x|z_l,y) and KL(q(z|x,y) || p(z)).
    static func loss(_ config: ModelConfig, _ layout: ParameterLayout, _ p: [Double],
                     x: [Double], eps: [Double], count b: Int, samples l: Int, labels: [Int]? = nil) -> Parts {
        let d = config.inputSize, zs = config.latentSize, k = config.classCount
        let isConv = !layout.convEncoder.isEmpty
        var parts = Parts()
        for i in 0 ..< b {
            let xi = Array(x[i * d ..< (i + 1) * d])
            let encoderInput = labels.map { withLabel(xi, label: $0[i], classes: k, channels: isConv ? config.imageChannels : nil) } ?? xi
            let head = head(layout, p, x: encoderInput)
            let mu = Array(head[0 ..< zs]), lv = Array(head[zs ..< 2 * zs])
            for j in 0 ..< zs { parts.kl += -0.5 * (1 + lv[j] - mu[j] * mu[j] - exp(lv[j])) }
            for s in 0 ..< l {
                var z = [Double](repeating: 0, count: zs)
                for j in 0 ..< zs { z[j] = mu[j] + exp(0.5 * lv[j]) * eps[(s * b + i) * zs + j] }
                let a = logits(layout, p, z: labels.map { withLabel(z, label: $0[i], classes: k) } ?? z)
                parts.reconstruction -= logLikelihood(config, layout, p, logits: a, x: xi) / Double(l)
            }
        }
        return parts
    }

    /// The Monte Carlo objectives of MonteCarloObjective.swift, in Double, summed over the
    /// examples: each sample's a_l = log p(x|z_l) + beta (log p(z_l) - log q(z_l|x)), averaged
    /// (ELBO) or log-mean-exp'd (IWAE); log p(z) of the standard normal or of the VampPrior at the
    /// pseudo-inputs in `p`. Also the reconstruction and the Monte Carlo KL, as the model sums them.
    static func monteCarloLoss(_ config: ModelConfig, _ layout: ParameterLayout, _ p: [Double],
                               x: [Double], eps: [Double], count b: Int, samples l: Int, objective: TrainingObjective,
                               beta: Double, labels: [Int]? = nil) -> (objective: Double, parts: Parts) {
        let d = config.inputSize, zs = config.latentSize, k = config.classCount
        let isConv = !layout.convEncoder.isEmpty
        let log2pi = log(2 * Double.pi)
        // The VampPrior's components [mu_k | logvar_k].
        let components: [[Double]] = (0 ..< config.prior.pseudoInputs).map { c in
            let o = layout.pseudoInputsOffset! + c * d
            return head(layout, p, x: Array(p[o ..< o + d]))
        }
        func logPrior(_ z: [Double]) -> Double {
            if components.isEmpty { return z.reduce(0) { $0 - 0.5 * ($1 * $1 + log2pi) } }
            let logs = components.map { h in
                (0 ..< zs).reduce(0.0) { s, j in
                    s - 0.5 * (pow(z[j] - h[j], 2) * exp(-h[zs + j]) + h[zs + j] + log2pi)
                }
            }
            let top = logs.max()!
            return top + log(logs.reduce(0) { $0 + exp($1 - top) }) - log(Double(logs.count))
        }
        var total = 0.0, parts = Parts()
        for i in 0 ..< b {
            let xi = Array(x[i * d ..< (i + 1) * d])
            let encoderInput = labels.map { withLabel(xi, label: $0[i], classes: k, channels: isConv ? config.imageChannels : nil) } ?? xi
            let head = head(layout, p, x: encoderInput)
            let mu = Array(head[0 ..< zs]), lv = Array(head[zs ..< 2 * zs])
            var ratios: [Double] = []
            for s in 0 ..< l {
                var z = [Double](repeating: 0, count: zs), logQ = 0.0
                for j in 0 ..< zs {
                    let e = eps[(s * b + i) * zs + j]
                    z[j] = mu[j] + exp(0.5 * lv[j]) * e
                    logQ -= 0.5 * (e * e + lv[j] + log2pi)
                }
                let a = logits(layout, p, z: labels.map { withLabel(z, label: $0[i], classes: k) } ?? z)
                let logLik = logLikelihood(config, layout, p, logits: a, x: xi), logP = logPrior(z)
                parts.reconstruction -= logLik / Double(l)
                parts.kl += (logQ - logP) / Double(l)
                ratios.append(logLik + beta * (logP - logQ))
            }
            switch objective {
            case .elbo: total -= ratios.reduce(0, +) / Double(l)
            case .iwae:
                let top = ratios.max()!
                total -= top + log(ratios.reduce(0) { $0 + exp($1 - top) }) - log(Double(l))
            }
        }
        return (total, parts)
    }
}

/// Deterministic test inputs.
enum TestData {
    /// The largest |a - b| / (atol + rtol·|b|) over two arrays, where it occurs, and the
    /// difference there (for comparisons with a reference's outputs).
    static func worst(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> (ratio: Float, index: Int, difference: Float) {
        var w: (ratio: Float, index: Int, difference: Float) = (0, -1, 0)
        for i in 0 ..< b.count {
            let r = abs(a[i] - b[i]) / (atol + rtol * abs(b[i]))
            if r > w.ratio { w = (r, i, abs(a[i] - b[i])) }
        }
        return w
    }

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
