// The prior p(z): the standard normal of Kingma & Welling, or the VampPrior of Tomczak & Welling
// (2018), a mixture of the encoder's own posteriors at K learned pseudo-inputs u_k (images, in
// the parameters after everything else, `ParameterLayout.pseudoInputsOffset`):
//
//     p(z) = 1/K Σ_k q(z | u_k) = 1/K Σ_k N(z; mu(u_k), sigma(u_k)²)
//
// Its KL term has no closed form: training estimates E_q[log q(z|x) - log p(z)] with the same
// samples as the reconstruction (MonteCarloObjective.swift). This file holds the log-density and
// its gradient with respect to z and to the components' [mu | logvar], forward and backward on
// one screen, and the draws from the prior that generation uses. docs/METHOD.md derives them.
//
// R = rows of z, Z = latent size, K = pseudo-inputs (mixture components).
import Foundation

/// The prior p(z) of a model.
///
/// JSON (synthesized Codable): `{"standard":{}}`, `{"vamp":{"pseudoInputs":500}}`.
public enum Prior: Codable, Equatable, Sendable {
    /// N(0, I).
    case standard
    /// The VampPrior with `pseudoInputs` learned pseudo-inputs.
    case vamp(pseudoInputs: Int)

    /// K, the pseudo-inputs (0 for the standard normal).
    public var pseudoInputs: Int {
        if case .vamp(let k) = self { return k }
        return 0
    }

    /// `standard`, or `vamp(K)`: how runs tables and reports name it.
    public var name: String {
        switch self {
        case .standard: "standard"
        case .vamp(let k): "vamp(\(k))"
        }
    }
}

/// The VampPrior's K components, read from the encoder's heads [mu | logvar] at the pseudo-inputs,
/// with each one's precision and constant made once per pass, in workspace memory.
struct MixtureComponents {
    let head: UnsafePointer<Float>          // (K, 2Z) [mu_k | logvar_k]
    let precision: UnsafeMutablePointer<Float>  // (K, Z) exp(-logvar_k)
    let constant: UnsafeMutablePointer<Float>   // (K) -1/2 Σ_j (logvar_kj + log 2π)
    let densities: UnsafeMutablePointer<Float>  // (K) scratch: one row's log N(z; k)
    let count: Int                          // K
    let latent: Int                         // Z

    /// Fills `precision` and `constant` from `head`.
    init(head: UnsafePointer<Float>, count k: Int, latent zs: Int, buffers: MixtureBuffers) {
        (self.head, count, latent) = (head, k, zs)
        (precision, constant, densities) = (buffers.precision, buffers.constant, buffers.densities)
        for c in 0 ..< k {
            let lv = head + c * 2 * zs + zs
            var sum: Float = 0
            for j in 0 ..< zs {
                precision[c * zs + j] = Foundation.exp(-lv[j])
                sum += lv[j]
            }
            constant[c] = -0.5 * (sum + Float(zs) * log2pi)
        }
    }

    /// densities[k] = log N(z; mu_k, sigma_k²) = constant_k - 1/2 Σ_j (z_j - mu_kj)² precision_kj,
    /// for every k; returns their maximum.
    @inline(__always)
    func logDensities(_ z: UnsafePointer<Float>) -> Float {
        var top = -Float.infinity
        for k in 0 ..< count {
            let mu = head + k * 2 * latent, pr = precision + k * latent
            var sum: Float = 0
            for j in 0 ..< latent {
                let d = z[j] - mu[j]
                sum += d * d * pr[j]
            }
            let v = constant[k] - 0.5 * sum
            densities[k] = v
            top = max(top, v)
        }
        return top
    }
}

/// The memory of `MixtureComponents`: (K, Z) + K + K Floats of a workspace.
struct MixtureBuffers {
    let precision, constant, densities: UnsafeMutablePointer<Float>
}

private let log2pi = Float(Foundation.log(2 * Double.pi))

/// log p(z_r) for each of R rows of z.
///
/// ```
/// standard:  log p(z) = -1/2 Σ_j (z_j² + log 2π)
/// vamp:      log p(z) = logsumexp_k log N(z; mu_k, sigma_k²) - log K
/// ```
/// - Parameters: logPrior: (R) output; z: (R, Z); mixture: the VampPrior's components, nil for
///   the standard normal.
func logPriorForward(_ logPrior: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, rows: Int, latent zs: Int,
                     mixture: MixtureComponents?) {
    for r in 0 ..< rows {
        let zr = z + r * zs
        guard let m = mixture else {
            var sum: Float = 0
            for j in 0 ..< zs { sum += zr[j] * zr[j] }
            logPrior[r] = -0.5 * (sum + Float(zs) * log2pi)
            continue
        }
        let top = m.logDensities(zr)
        var sum: Float = 0
        for k in 0 ..< m.count { sum += Foundation.exp(m.densities[k] - top) }
        logPrior[r] = top + Foundation.log(sum) - Foundation.log(Float(m.count))
    }
}

/// The gradient of -beta · Σ_r weight_r · log p(z_r): added into dz, and for the VampPrior into the
/// components' head gradient, with rho_rk = N(z_r; k) / Σ_k' N(z_r; k'), the responsibilities:
///
/// ```
/// w = beta · weight_r
/// standard:  ∂/∂z_j = w · z_j
/// vamp:      ∂/∂z_j        = w · Σ_k rho_k (z_j - mu_kj) exp(-logvar_kj)
///            ∂/∂mu_kj      = -w · rho_k (z_j - mu_kj) exp(-logvar_kj)
///            ∂/∂logvar_kj  = w · rho_k (1 - (z_j - mu_kj)² exp(-logvar_kj)) / 2
/// ```
/// - Parameters:
///   - dz: (R, Z) += ; dMixture: (K, 2Z) += [dmu_k | dlogvar_k], for the VampPrior.
///   - logPrior: (R) from `logPriorForward`; weight: (R) each row's weight in the loss.
func logPriorBackward(dz: UnsafeMutablePointer<Float>, dMixture: UnsafeMutablePointer<Float>?,
                      z: UnsafePointer<Float>, logPrior: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      rows: Int, latent zs: Int, beta: Float, mixture: MixtureComponents?) {
    for r in 0 ..< rows {
        let zr = z + r * zs, dzr = dz + r * zs, w = beta * weight[r]
        guard let m = mixture, let dm = dMixture else {
            for j in 0 ..< zs { dzr[j] += w * zr[j] }
            continue
        }
        // log N(z; k) - log p(z) - log K = log rho_k.
        let shift = logPrior[r] + Foundation.log(Float(m.count))
        _ = m.logDensities(zr)
        for k in 0 ..< m.count {
            let rho = Foundation.exp(m.densities[k] - shift)
            let mu = m.head + k * 2 * zs, pr = m.precision + k * zs
            let dmu = dm + k * 2 * zs, dlv = dmu + zs
            for j in 0 ..< zs {
                let d = zr[j] - mu[j], precision = pr[j]
                let g = w * rho * d * precision
                dzr[j] += g
                dmu[j] -= g
                dlv[j] += 0.5 * w * rho * (1 - d * d * precision)
            }
        }
    }
}

extension VAE {
    /// Draws `count` codes from the model's prior: N(0, I) scaled by `temperature`, or for the
    /// VampPrior a component k uniform in 0 ..< K and then z = mu_k + temperature · sigma_k · eps.
    ///
    /// ```
    /// standard:  eps = rng.fillNormals(N·Z);  z = temperature · eps
    /// vamp:      for each n in order: k = rng.bounded(K), then Z normals eps; z = mu_k + T · sigma_k · eps
    /// ```
    /// - Returns: (count, Z) row-major.
    public func samplePrior(count: Int, temperature: Float = 1, rng: inout SeededRandom) -> [Float] {
        let zs = config.latentSize
        var z = [Float](repeating: 0, count: max(count, 0) * zs)
        guard case .vamp(let k) = config.prior else {
            z.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: $0.count) }
            for i in z.indices { z[i] *= temperature }
            return z
        }
        let heads = mixtureHeads()
        var eps = [Float](repeating: 0, count: zs)
        for n in 0 ..< max(count, 0) {
            let c = rng.bounded(k)
            eps.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: zs) }
            for j in 0 ..< zs {
                let mu = heads[c * 2 * zs + j], lv = heads[c * 2 * zs + zs + j]
                z[n * zs + j] = mu + temperature * Foundation.exp(0.5 * lv) * eps[j]
            }
        }
        return z
    }

    /// The VampPrior's components [mu_k | logvar_k] (K, 2Z): the encoder at the pseudo-inputs, in
    /// inference's pieces (empty for the standard normal).
    public func mixtureHeads() -> [Float] {
        let k = config.prior.pseudoInputs, zs = config.latentSize
        guard k > 0, let offset = layout.pseudoInputsOffset else { return [] }
        var mu = [Float](repeating: 0, count: k * zs), logvar = mu
        mu.withUnsafeMutableBufferPointer { m in
            logvar.withUnsafeMutableBufferPointer { v in
                encode(batch: P + offset, count: k, mu: m.baseAddress!, logvar: v.baseAddress!)
            }
        }
        var heads = [Float](repeating: 0, count: k * 2 * zs)
        for i in 0 ..< k {
            for j in 0 ..< zs {
                heads[i * 2 * zs + j] = mu[i * zs + j]
                heads[i * 2 * zs + zs + j] = logvar[i * zs + j]
            }
        }
        return heads
    }

    /// The pseudo-inputs (K, D), a copy (empty for the standard normal).
    public var pseudoInputs: [Float] {
        guard let offset = layout.pseudoInputsOffset else { return [] }
        return Array(parameters[offset ..< layout.count])
    }

    /// Sets the pseudo-inputs to `images` (K, D): how training starts them, from training images.
    public func setPseudoInputs(_ images: [Float]) throws(ModelError) {
        guard let offset = layout.pseudoInputsOffset, images.count == layout.count - offset else {
            throw ModelError(.mismatch, "\(images.count) pseudo-input values for a model with \(config.prior.pseudoInputs) pseudo-inputs of \(config.inputSize)")
        }
        for (i, v) in images.enumerated() { parameters[offset + i] = v }
    }
}
