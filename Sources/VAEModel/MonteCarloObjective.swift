// The training objectives whose KL part is estimated with the samples themselves: the ELBO with
// a Monte Carlo KL (needed by the VampPrior, whose KL has no closed form), and the
// importance-weighted bound of Burda, Grosse & Salakhutdinov (2016). Both are built from the
// log importance ratio of each sample,
//
//     a_l = log p(x | z_l) + beta · (log p(z_l) - log q(z_l | x)),   z_l = mu + sigma · eps_l
//
// (beta = 1 but during a KL warm-up), and differ only in how the L samples of an example are
// weighted: the ELBO averages them (weight 1/L), the IWAE bound takes their log-mean-exp, whose
// gradient weights each sample's gradient by its normalized importance weight softmax_l(a_l).
// The forward half gives the loss and the weights, the backward half the head's gradient; the
// decoder's gradient comes from the likelihood pass with the weights as each row's scale.
// docs/METHOD.md derives both.
//
// B = examples, L = samples per example, R = L·B rows (sample-major: row l·B + i is sample l of
// example i), Z = latent size.
import Foundation

/// What a training step minimizes.
public enum TrainingObjective: String, Codable, Sendable, CaseIterable {
    /// The negative ELBO with L samples (`--mc-samples`); its KL in closed form for the standard
    /// normal prior, else estimated with the samples.
    case elbo
    /// The negative importance-weighted bound with K samples (`--train-k`).
    case iwae
}

private let log2pi = Float(Foundation.log(2 * Double.pi))

/// The Monte Carlo objective, forward: log q(z_l|x), log p(z_l), the rows' weights, and the loss.
///
/// ```
/// log q(z_l|x) = -1/2 Σ_j (eps_lj² + logvar_j + log 2π)
/// a_l = log p(x|z_l) + beta · (log p(z_l) - log q(z_l|x))
/// elbo:  loss = -1/L Σ_l a_l,                         weight_l = 1/L
/// iwae:  loss = -(log Σ_l exp(a_l) - log L),          weight_l = exp(a_l) / Σ_l' exp(a_l')
/// ```
/// - Parameters:
///   - weight: (R) output, each row's weight in its example's loss (they sum to 1 per example).
///   - logPosterior: (R) output; logPrior: (R) from `logPriorForward`; logLikelihood: (R).
///   - head: (B, 2Z); eps: (R, Z).
/// - Returns: the sums over the examples of the loss and of the Monte Carlo KL, 1/L Σ_l (log q - log p).
func monteCarloForward(weight: UnsafeMutablePointer<Float>, logPosterior: UnsafeMutablePointer<Float>,
                       logPrior: UnsafePointer<Float>, logLikelihood: UnsafePointer<Float>,
                       head: UnsafePointer<Float>, eps: UnsafePointer<Float>, objective: TrainingObjective,
                       examples b: Int, latent zs: Int, samples l: Int, beta: Float) -> (loss: Double, kl: Double) {
    func ratio(_ row: Int) -> Double {
        Double(logLikelihood[row]) + Double(beta) * (Double(logPrior[row]) - Double(logPosterior[row]))
    }
    var loss = 0.0, kl = 0.0
    for i in 0 ..< b {
        let lv = head + i * 2 * zs + zs
        var top = -Double.infinity
        for k in 0 ..< l {
            let row = k * b + i, e = eps + row * zs
            var sum: Float = 0
            for j in 0 ..< zs { sum += e[j] * e[j] + lv[j] }
            logPosterior[row] = -0.5 * (sum + Float(zs) * log2pi)
            kl += Double(logPosterior[row] - logPrior[row]) / Double(l)
            top = max(top, ratio(row))
        }
        switch objective {
        case .elbo:
            for k in 0 ..< l {
                loss -= ratio(k * b + i) / Double(l)
                weight[k * b + i] = 1 / Float(l)
            }
        case .iwae:
            var sum = 0.0
            for k in 0 ..< l { sum += Foundation.exp(ratio(k * b + i) - top) }
            for k in 0 ..< l { weight[k * b + i] = Float(Foundation.exp(ratio(k * b + i) - top) / sum) }
            loss -= top + Foundation.log(sum) - Foundation.log(Double(l))
        }
    }
    return (loss, kl)
}

/// The Monte Carlo objective, backward through the reparameterization: from dz (the decoder's and
/// the prior's gradient of the weighted loss with respect to each sample z_l) to the head's
/// gradient, plus the head's bias gradient. log q(z_l|x) in its eps form depends on logvar only.
///
/// ```
/// ∂/∂mu_j     = Σ_l dz_lj
/// ∂/∂logvar_j = Σ_l dz_lj · eps_lj · sigma_j / 2   -   beta/2 · Σ_l weight_l
/// ```
/// - Parameters:
///   - dHead: (B, 2Z) output [dmu | dlogvar]; headBiasGrad: (2Z) += Σ_rows dHead.
///   - dz: (R, Z); sigma: (B, Z); eps: (R, Z); weight: (R) from `monteCarloForward`.
func monteCarloBackward(dHead: UnsafeMutablePointer<Float>, headBiasGrad: UnsafeMutablePointer<Float>,
                        dz: UnsafePointer<Float>, sigma: UnsafePointer<Float>, eps: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, examples b: Int, latent zs: Int, samples l: Int, beta: Float) {
    for i in 0 ..< b {
        let dmu = dHead + i * 2 * zs, dlv = dmu + zs
        var weights: Float = 0
        for k in 0 ..< l { weights += weight[k * b + i] }
        for j in 0 ..< zs {
            dmu[j] = 0
            dlv[j] = -0.5 * beta * weights
        }
        addReparameterizationGradient(dHead: dHead, dz: dz, sigma: sigma, eps: eps, example: i, examples: b, latent: zs, samples: l)
        for j in 0 ..< 2 * zs { headBiasGrad[j] += dmu[j] }
    }
}
