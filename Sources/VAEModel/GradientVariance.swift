// How noisy each estimator's gradient of the encoder is: on one batch and at the current
// parameters, K independent draws of eps, the encoder's gradient under each of the three
// estimators for every draw, and per encoder tensor the squared norm of the mean gradient, the
// summed sample variance of its elements, and their ratio. Nothing of the model changes but the
// `gradients` buffer (which the next step clears).
//
// K = draws, B = examples, L = samples per example, Z = latent size.
import Foundation

/// The spread of one estimator's gradient of one tensor (or of the whole encoder) over K draws.
public struct GradientSpread: Equatable, Sendable {
    public var estimator: GradientEstimator
    /// A tensor's name (`ParameterLayout.tensors`), or "encoder" for all of them together.
    public var tensor: String
    /// ||mean g||², the squared norm of the mean of the K gradients.
    public var meanSquaredNorm: Double
    /// Σ over elements of the unbiased sample variance of the K gradients.
    public var variance: Double

    /// The signal-to-noise ratio meanSquaredNorm / variance.
    public var snr: Double { meanSquaredNorm / variance }
}

extension VAE {
    /// The encoder's tensors (encoder layers or convolutions, and the head), in memory order.
    public var encoderTensors: [(name: String, range: Range<Int>)] {
        layout.tensors.filter { $0.name.hasPrefix("encoder.") || $0.name.hasPrefix("head.") }
    }

    /// The spread of the encoder's gradient under every estimator, over `draws` draws of eps.
    ///
    /// For each draw k (L·B·Z normals from `rng`, shared by the three estimators) and estimator e,
    /// the gradient g_k of the loss summed over the batch; then per tensor, with ḡ = 1/K Σ_k g_k,
    ///
    /// ```
    /// meanSquaredNorm = Σ_i ḡ_i²
    /// variance        = Σ_i 1/(K-1) Σ_k (g_ki - ḡ_i)²
    /// ```
    ///
    /// The baseline estimator uses the model's current `scoreBaseline` (or, before the first step,
    /// this batch's mean loss), which the draws do not move.
    /// - Parameters:
    ///   - x: (count, D) the batch; beta: the KL weight of the step; draws: K, at least 2;
    ///     labels: (count) for a conditional model.
    /// - Returns: for each estimator (in `GradientEstimator.allCases` order) one spread per
    ///   encoder tensor, then one for tensor "encoder".
    public func gradientSpread(batch x: UnsafePointer<Float>, count: Int, beta: Float, draws: Int,
                               rng: inout SeededRandom, labels: UnsafePointer<UInt16>? = nil) throws(ModelError) -> [GradientSpread] {
        if draws < 2 { throw ModelError(.invalidArgument, "gradient variance needs at least 2 draws, got \(draws)") }
        if count < 1 { throw ModelError(.invalidArgument, "gradient variance needs a batch, got \(count) examples") }
        let tensors = encoderTensors
        let start = tensors.first!.range.lowerBound, end = tensors.last!.range.upperBound  // contiguous
        let n = end - start
        let estimators = GradientEstimator.allCases
        // Running means and sums of squared deviations (Welford), (3, n) each.
        var mean = [Double](repeating: 0, count: estimators.count * n)
        var m2 = [Double](repeating: 0, count: estimators.count * n)
        let eps = UnsafeMutablePointer<Float>.allocate(capacity: mcSamples * count * config.latentSize)  // (L, B, Z)
        defer { eps.deallocate() }
        let saved = estimator
        defer { estimator = saved }
        for k in 1 ... draws {
            rng.fillNormals(eps, count: mcSamples * count * config.latentSize)
            for (e, which) in estimators.enumerated() {
                estimator = which
                computeGradients(batch: x, count: count, beta: beta, samples: mcSamples, eps: eps, labels: labels)
                for i in 0 ..< n {
                    let g = Double(gradients[start + i])
                    let delta = g - mean[e * n + i]
                    mean[e * n + i] += delta / Double(k)
                    m2[e * n + i] += delta * (g - mean[e * n + i])
                }
            }
        }
        var out: [GradientSpread] = []
        for (e, which) in estimators.enumerated() {
            var totalNorm = 0.0, totalVariance = 0.0
            for t in tensors {
                var norm = 0.0, variance = 0.0
                for i in t.range {
                    let j = e * n + i - start
                    norm += mean[j] * mean[j]
                    variance += m2[j] / Double(draws - 1)
                }
                out.append(GradientSpread(estimator: which, tensor: t.name, meanSquaredNorm: norm, variance: variance))
                totalNorm += norm
                totalVariance += variance
            }
            out.append(GradientSpread(estimator: which, tensor: "encoder", meanSquaredNorm: totalNorm, variance: totalVariance))
        }
        return out
    }
}
