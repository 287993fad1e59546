// The three estimators of the encoder's gradient of the expected reconstruction loss
// E_q[-log p(x|z)] that vae-train offers, as plain functions beside `latentBackward` (the
// reparameterization, in Latent.swift). The KL term is differentiated in closed form by all three,
// and the decoder's gradient does not depend on the estimator: only the head's gradient dHead, from
// which the encoder's backward runs, differs. docs/METHOD.md derives each.
//
// B = examples, Z = latent size, L = samples per example. Rows of eps and the log-likelihoods are
// sample-major: row l·B + b is sample l of example b.
import Foundation

/// How the encoder's gradient of E_q[-log p(x|z)] is estimated.
public enum GradientEstimator: String, Codable, Sendable, CaseIterable {
    /// Through z = mu + sigma · eps: the gradient of log p(x|z) itself (`latentBackward`).
    case reparameterization
    /// REINFORCE: -log p(x|z_l) times the score ∇ log q(z_l|x) (`scoreFunctionBackward`, c = 0).
    case scoreFunction = "score-function"
    /// The score function with a moving-average baseline c subtracted (`ScoreBaseline`).
    case scoreFunctionBaseline = "score-function-baseline"
}

/// The score-function estimator's gradient of the head's output, and the head's bias gradient.
///
/// With f_l = -log p(x|z_l) and z_l = mu + sigma · eps_l held fixed, the score of the Gaussian
/// q(z|x) with respect to its parameters is
///
/// ```
/// ∂ log q(z_l|x) / ∂mu_j     = (z_lj - mu_j) / sigma_j² = eps_lj / sigma_j
/// ∂ log q(z_l|x) / ∂logvar_j = ((z_lj - mu_j)² / sigma_j² - 1) / 2 = (eps_lj² - 1) / 2
/// ```
///
/// and the estimator (the KL term in closed form, as in `latentBackward`) is
///
/// ```
/// ∂/∂mu_j     = 1/L Σ_l (f_l - c) · eps_lj / sigma_j        + beta · mu_j
/// ∂/∂logvar_j = 1/L Σ_l (f_l - c) · (eps_lj² - 1) / 2       + beta · (exp(logvar_j) - 1) / 2
/// ```
///
/// Since E_q[∇ log q] = 0, any c that does not depend on this eps leaves it unbiased.
/// - Parameters:
///   - dHead: (B, 2Z) output [dmu | dlogvar]; headBiasGrad: (2Z) += Σ_rows dHead.
///   - logLikelihood: (L·B) log p(x|z_l) per row; head: (B, 2Z); sigma: (B, Z); eps: (L·B, Z).
///   - baseline: c, subtracted from every f_l (0: the plain score function).
func scoreFunctionBackward(dHead: UnsafeMutablePointer<Float>, headBiasGrad: UnsafeMutablePointer<Float>,
                           logLikelihood: UnsafePointer<Float>, head: UnsafePointer<Float>,
                           sigma: UnsafePointer<Float>, eps: UnsafePointer<Float>, baseline: Float,
                           examples b: Int, latent zs: Int, samples l: Int, beta: Float) {
    let perSample = 1 / Float(l)
    klBackward(dHead: dHead, head: head, sigma: sigma, examples: b, latent: zs, beta: beta)
    for i in 0 ..< b {
        let sg = sigma + i * zs
        let dmu = dHead + i * 2 * zs
        let dlv = dmu + zs
        for k in 0 ..< l {
            let row = k * b + i
            let weight = (-logLikelihood[row] - baseline) * perSample
            let e = eps + row * zs
            for j in 0 ..< zs {
                dmu[j] += weight * e[j] / sg[j]
                dlv[j] += weight * 0.5 * (e[j] * e[j] - 1)
            }
        }
        for j in 0 ..< 2 * zs { headBiasGrad[j] += dmu[j] }
    }
}

/// The baseline of `GradientEstimator.scoreFunctionBaseline`: an exponential moving average of
/// the batch's mean reconstruction loss, updated after each training step.
///
/// ```
/// c_1     = mean over the first batch's rows of f           (no history yet)
/// c_{t+1} = decay · c_t + (1 - decay) · mean over batch t's rows of f,   decay = 0.9
/// ```
///
/// Step t uses c_t, made from earlier batches only (the first step excepted), so that the
/// estimator stays (nearly) unbiased.
public struct ScoreBaseline: Equatable, Sendable {
    /// The weight of the past in the moving average.
    public static let decay = 0.9
    /// c, nil until the first training step.
    public var value: Double?

    public init(value: Double? = nil) { self.value = value }

    /// The baseline to use for a batch whose mean f is `batchMean`.
    func current(batchMean: Double) -> Float { Float(value ?? batchMean) }

    /// Moves the average towards a finished step's mean f.
    mutating func update(batchMean: Double) {
        value = value.map { Self.decay * $0 + (1 - Self.decay) * batchMean } ?? batchMean
    }
}

/// The mean of -log p(x|z) over `rows` rows.
func meanNegativeLogLikelihood(_ logLikelihood: UnsafePointer<Float>, rows: Int) -> Double {
    var sum = 0.0
    for r in 0 ..< rows { sum -= Double(logLikelihood[r]) }
    return sum / Double(max(rows, 1))
}
