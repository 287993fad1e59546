// Whether the model uses its input: the figures that tell a model that learned something from one
// whose posterior collapsed (q(z|x) = p(z) for every x, the decoder drawing the same image whatever
// the input). The active units of Burda et al. (2016), and the reconstruction's PSNR beside what
// the training split's mean image reaches, which a model that ignores its input cannot beat.
// `Evaluation.collapseFigures` computes them at the end of a run; docs/METHOD.md, "Posterior
// collapse and how it is measured", says what they mean.
//
// N = examples of the split, Z = latent size, D = inputs per example.
import Foundation
import VAEShards

/// The end-of-run figures of posterior collapse, as summary.json holds them.
public struct CollapseFigures: Equatable, Sendable {
    /// The latent dimensions whose encoder mean varies over the examples of `split`: unbiased
    /// variance (N − 1) over `activeVariance` (0 with fewer than two examples).
    public var activeUnits: Int
    /// The split the variances are taken over: test, or train when the test split holds no examples.
    public var split: Split
    /// Z.
    public var latentSize: Int
    /// PSNR in dB of the decoder's means at mu against the test images; nil without test examples.
    public var reconstructionPSNR: Double?
    /// PSNR in dB of the training split's mean image against the same test images.
    public var meanImagePSNR: Double?

    /// A dimension is active when the variance of its mean over the data exceeds this (Burda et al.).
    public static let activeVariance = 0.01
    /// A reconstruction less than this many dB better than the mean image counts as ignoring the input.
    public static let minimumGain = 1.0

    /// 10 log10(1 / MSE) for intensities in [0, 1], with the MSE floored at 1e-12 (120 dB) as the
    /// PyTorch reference (shared/reference/vae_photos_torch.py, `psnr`) does.
    /// ```
    /// PSNR = 10 log10(1 / max(MSE, 1e-12)),  MSE = (1 / (N·D)) Σ_n Σ_d (x̂_nd − x_nd)²
    /// ```
    public static func psnr(squaredError: Double, values: Int) -> Double {
        10 * log10(1 / max(squaredError / Double(values), 1e-12))
    }

    /// Whether the model ignores its input: no active unit, or a reconstruction less than
    /// `minimumGain` dB better than the mean image.
    public var collapsed: Bool {
        if activeUnits == 0 { return true }
        guard let reconstructionPSNR, let meanImagePSNR else { return false }
        return reconstructionPSNR - meanImagePSNR < Self.minimumGain
    }
}

/// The unbiased variance of each column of rows that come one at a time, in Double, the sums
/// taken in the order the rows come (so the bits depend on that order alone). The sums are of
/// each value's difference from the first row's, which keeps them small where a column's values
/// are large and close together (a collapsed encoder's means): no cancellation.
/// ```
/// var_j = (Σ_n (v_nj − v_1j)² − (Σ_n (v_nj − v_1j))² / N) / (N − 1)
/// ```
struct ColumnVariance {
    private(set) var count = 0
    private var first: [Double]    // (Z)
    private var sum: [Double]      // (Z)
    private var squares: [Double]  // (Z)

    init(columns: Int) {
        first = [Double](repeating: 0, count: columns)
        sum = first
        squares = first
    }

    /// Adds one row of `first.count` values.
    mutating func add(_ row: UnsafePointer<Float>) {
        if count == 0 {
            for j in first.indices { first[j] = Double(row[j]) }
        }
        for j in first.indices {
            let v = Double(row[j]) - first[j]
            sum[j] += v
            squares[j] += v * v
        }
        count += 1
    }

    /// Each column's variance, 0 with fewer than two rows.
    var variances: [Double] {
        guard count > 1 else { return [Double](repeating: 0, count: first.count) }
        let n = Double(count)
        return first.indices.map { j in max(0, (squares[j] - sum[j] * sum[j] / n) / (n - 1)) }
    }
}
