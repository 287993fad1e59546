// The latent layer: the reparameterization z = mu + sigma · eps and the closed-form KL divergence
// from the prior, forward and backward, fused in one pass each. The encoder head writes rows
// [mu (Z) | logvar (Z)]; these passes read them in place.
//
// B = examples, Z = latent size, L = samples per example. Rows of z and eps are sample-major:
// row l·B + b is sample l of example b.
import Foundation

/// Reparameterization and KL, forward.
///
/// ```
/// sigma = exp(logvar / 2)
/// z_l   = mu + sigma · eps_l                                   l = 0 ..< L
/// KL(q(z|x) || N(0, I)) = -1/2 Σ_j (1 + logvar_j - mu_j² - exp(logvar_j))
/// ```
/// - Parameters:
///   - z: (L·B, Z) output; sigma: (B, Z) output, kept for backward; kl: (B) output, nil to skip.
///   - head: (B, 2Z) the encoder head [mu | logvar]; eps: (L·B, Z) standard normals.
func latentForward(z: UnsafeMutablePointer<Float>, sigma: UnsafeMutablePointer<Float>,
                   kl: UnsafeMutablePointer<Float>?, head: UnsafePointer<Float>, eps: UnsafePointer<Float>,
                   examples b: Int, latent zs: Int, samples l: Int) {
    for i in 0 ..< b {
        let mu = head + i * 2 * zs
        let logvar = mu + zs
        let sg = sigma + i * zs
        var sum: Float = 0
        for j in 0 ..< zs {
            let s = Foundation.exp(0.5 * logvar[j])
            sg[j] = s
            sum += 1 + logvar[j] - mu[j] * mu[j] - s * s
        }
        kl?[i] = -0.5 * sum
        for k in 0 ..< l {
            let row = (k * b + i) * zs
            for j in 0 ..< zs { z[row + j] = mu[j] + sg[j] * eps[row + j] }
        }
    }
}

/// The closed-form KL's gradient, written into dHead (every estimator starts from it):
///
/// ```
/// ∂/∂mu_j = beta · mu_j,   ∂/∂logvar_j = beta · (exp(logvar_j) - 1) / 2
/// ```
/// - Parameters: dHead: (B, 2Z) output [dmu | dlogvar]; head: (B, 2Z); sigma: (B, Z).
func klBackward(dHead: UnsafeMutablePointer<Float>, head: UnsafePointer<Float>, sigma: UnsafePointer<Float>,
                examples b: Int, latent zs: Int, beta: Float) {
    for i in 0 ..< b {
        let mu = head + i * 2 * zs
        let sg = sigma + i * zs
        let dmu = dHead + i * 2 * zs
        for j in 0 ..< zs {
            dmu[j] = beta * mu[j]
            dmu[zs + j] = beta * 0.5 * (sg[j] * sg[j] - 1)
        }
    }
}

/// Reparameterization and KL, backward: from dz (the reconstruction loss's gradient with respect
/// to each sample z_l) to the gradient of the head's output, plus the head's bias gradient.
///
/// ```
/// ∂/∂mu_j     = Σ_l dz_lj                          + beta · mu_j
/// ∂/∂logvar_j = Σ_l dz_lj · eps_lj · sigma_j / 2   + beta · (exp(logvar_j) - 1) / 2
/// ```
/// - Parameters:
///   - dHead: (B, 2Z) output [dmu | dlogvar]; headBiasGrad: (2Z) += Σ_rows dHead.
///   - dz: (L·B, Z); head: (B, 2Z); sigma: (B, Z); eps: (L·B, Z).
func latentBackward(dHead: UnsafeMutablePointer<Float>, headBiasGrad: UnsafeMutablePointer<Float>,
                    dz: UnsafePointer<Float>, head: UnsafePointer<Float>, sigma: UnsafePointer<Float>,
                    eps: UnsafePointer<Float>, examples b: Int, latent zs: Int, samples l: Int, beta: Float) {
    klBackward(dHead: dHead, head: head, sigma: sigma, examples: b, latent: zs, beta: beta)
    for i in 0 ..< b {
        addReparameterizationGradient(dHead: dHead, dz: dz, sigma: sigma, eps: eps, example: i, examples: b, latent: zs, samples: l)
        for j in 0 ..< 2 * zs { headBiasGrad[j] += dHead[i * 2 * zs + j] }
    }
}

/// The reparameterization's part of example i's head gradient, added into dHead's row i:
///
/// ```
/// ∂/∂mu_j += Σ_l dz_lj,   ∂/∂logvar_j += Σ_l dz_lj · eps_lj · sigma_j / 2
/// ```
/// - Parameters: dHead: (B, 2Z); dz, eps: (L·B, Z); sigma: (B, Z).
@inline(__always)
func addReparameterizationGradient(dHead: UnsafeMutablePointer<Float>, dz: UnsafePointer<Float>, sigma: UnsafePointer<Float>,
                                   eps: UnsafePointer<Float>, example i: Int, examples b: Int, latent zs: Int, samples l: Int) {
    let sg = sigma + i * zs
    let dmu = dHead + i * 2 * zs
    let dlv = dmu + zs
    for k in 0 ..< l {
        let row = (k * b + i) * zs
        for j in 0 ..< zs {
            let g = dz[row + j]
            dmu[j] += g
            dlv[j] += g * eps[row + j] * 0.5 * sg[j]
        }
    }
}
