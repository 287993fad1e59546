// The importance-weighted lower bound on log p(x) (Burda, Grosse & Salakhutdinov 2016), which
// tightens the ELBO with k samples from q(z|x); k = 1 gives a one-sample ELBO. It measures how
// loose the ELBO is at the end of a run (`--iwae-k K --iwae-n N`). Inference pieces as in
// Inference.swift: the examples in pieces of `inferenceBatch`, shared among the threads; each
// piece draws its eps from a generator of its own, seeded by the caller's generator in piece
// order, so the bits do not depend on the threads.
//
// N = examples, B = examples of a piece, k = samples per example, s = samples of one block of a
// piece (s·B <= inferenceRows), Z = latent size, D = input size.
import Foundation
import VAECore

extension VAE {
    /// The importance-weighted bound for each example, with k samples from q(z|x), computed with
    /// a running log-sum-exp over blocks of samples.
    ///
    /// ```
    /// log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x),  z_i = mu + sigma · eps_i
    /// log p(z)   = -1/2 Σ_j (z_j² + log 2π), or the VampPrior's (Prior.swift)
    /// log q(z|x) = -1/2 Σ_j (eps_j² + logvar_j + log 2π)
    /// bound = log (1/k Σ_i w_i) = max + log Σ_i exp(log w_i - max) - log k
    /// ```
    /// - Parameters:
    ///   - x: (count, D); k: samples per example.
    ///   - rng: gives one seed per piece, in piece order.
    ///   - stop: polled between blocks of samples; once it is set the function returns early and
    ///     its results are incomplete (the caller checks the flag and discards them).
    /// - Returns: (count) per-example bounds in nats.
    public func importanceWeightedBound(batch x: UnsafePointer<Float>, count: Int, samples k: Int,
                                        rng: inout SeededRandom, stop: StopFlag? = nil,
                                        labels: UnsafePointer<UInt16>? = nil) -> [Double] {
        var result = [Double](repeating: 0, count: max(count, 0))
        if count <= 0 || k <= 0 { return result }
        let pieces = Pieces(count: count, size: inferenceBatch)
        let seeds = (0 ..< pieces.number).map { _ in rng.next() }
        let heads = mixtureHeads()
        result.withUnsafeMutableBufferPointer { out in
            heads.withUnsafeBufferPointer { h in
                forEachPiece(pieces) { p, range, ws in
                    var pieceRNG = SeededRandom(seed: seeds[p])
                    let xb = x + range.lowerBound * config.inputSize, yb = labels.map { $0 + range.lowerBound }
                    let mixture = h.isEmpty ? nil : mixtureComponents(head: h.baseAddress!, ws: ws)
                    bound(xb, labels: yb, examples: range.count, samples: k, mixture: mixture, rng: &pieceRNG, stop: stop,
                          ws: ws, into: out.baseAddress! + range.lowerBound)
                }
            }
        }
        return result
    }

    /// The bound of one piece of `b` examples into `out` (b), on workspace `ws`.
    private func bound(_ x: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, examples b: Int, samples k: Int,
                       mixture: MixtureComponents?, rng: inout SeededRandom, stop: StopFlag?, ws: Workspace, into out: UnsafeMutablePointer<Double>) {
        let zs = config.latentSize
        let halfLog2pi = 0.5 * Foundation.log(2 * Double.pi)
        var maxW = [Double](repeating: -.infinity, count: b)
        var sumW = [Double](repeating: 0, count: b)
        encoderForward(encoderInput(x, labels: labels, rows: b, ws: ws), rows: b, ws: ws)
        var done = 0
        while done < k {
            if let stop, stop.isRequested { return }
            let s = min(k - done, max(1, inferenceRows / b))  // samples in this block
            rng.fillNormals(ws.eps, count: s * b * zs)
            latentForward(z: ws.z, sigma: ws.sigma, kl: nil, head: ws.head, eps: ws.eps,
                          examples: b, latent: zs, samples: s)
            decoderForward(decoderInput(ws.z, labels: labels, rows: s * b, examples: b, ws: ws), rows: s * b, into: ws.logits, ws: ws)
            likelihoodPass(grad: nil, biasGrad: nil, x: x, rows: s * b, examples: b, scale: 1, ws: ws, gradients: nil)
            if mixture != nil { logPriorForward(ws.logPrior, z: ws.z, rows: s * b, latent: zs, mixture: mixture) }
            for l in 0 ..< s {
                for i in 0 ..< b {
                    let row = l * b + i
                    let z = ws.z + row * zs, e = ws.eps + row * zs, lv = ws.head + i * 2 * zs + zs
                    var logPz = 0.0, logQz = 0.0
                    for j in 0 ..< zs {
                        if mixture == nil { logPz -= 0.5 * Double(z[j] * z[j]) + halfLog2pi }
                        logQz -= 0.5 * Double(e[j] * e[j] + lv[j]) + halfLog2pi
                    }
                    if mixture != nil { logPz = Double(ws.logPrior[row]) }  // the VampPrior's, made above
                    let logW = Double(ws.logLik[row]) + logPz - logQz
                    if logW > maxW[i] {
                        sumW[i] = sumW[i] * Foundation.exp(maxW[i] - logW) + 1
                        maxW[i] = logW
                    } else {
                        sumW[i] += Foundation.exp(logW - maxW[i])
                    }
                }
            }
            done += s
        }
        for i in 0 ..< b { out[i] = maxW[i] + Foundation.log(sumW[i]) - Foundation.log(Double(k)) }
    }
}
