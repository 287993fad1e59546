// gradient_variance.csv: the spread of the encoder's gradient under every estimator, measured
// every `gradientVarianceEvery` steps (`VAE.gradientSpread`), as typed rows written out once per
// measurement; gradient_variance.json keeps the same rows for a resumed run (nothing is parsed
// back from the CSV).
import Foundation
import VAECore
import VAEModel

/// One row of gradient_variance.csv: one estimator's spread for one tensor at one step.
public struct GradientVarianceRow: Codable, Equatable, Sendable {
    /// The training step (counted from 1) whose batch and parameters were measured, before its update.
    public var step: Int
    public var estimator: GradientEstimator
    public var tensor: String
    public var meanSquaredNorm: Double
    public var variance: Double
    public var snr: Double

    init(step: Int, _ spread: GradientSpread) {
        self.step = step
        estimator = spread.estimator
        tensor = spread.tensor
        meanSquaredNorm = spread.meanSquaredNorm
        variance = spread.variance
        snr = spread.snr
    }

    /// The CSV header.
    public static let header = "step,estimator,tensor,mean_squared_norm,variance,snr"

    /// The CSV row, numbers in the shortest form that reads back to the same Double.
    public var csvRow: String {
        [String(step), estimator.rawValue, tensor, "\(meanSquaredNorm)", "\(variance)", "\(snr)"].joined(separator: ",")
    }

    /// gradient_variance.csv for `rows`: the header and one line each, "\n" line ends.
    public static func csv(_ rows: [GradientVarianceRow]) -> String {
        ([header] + rows.map(\.csvRow)).joined(separator: "\n") + "\n"
    }
}

extension TrainingSettings {
    /// Whether the step numbered `step` (from 1) is measured: step 1 and every multiple of the interval.
    func measuresGradientVariance(atStep step: Int) -> Bool {
        guard gradientVarianceEvery > 0 else { return false }
        return step == 1 || step % gradientVarianceEvery == 0
    }
}

extension RunDirectory {
    public var gradientVariance: String { FileIO.join(path, "gradient_variance.csv") }
    var gradientVarianceHistory: String { FileIO.join(path, "gradient_variance.json") }

    /// The rows measured up to and including `step` (a resumed run redoes the later ones).
    func readGradientVariance(through step: Int) throws -> [GradientVarianceRow] {
        guard FileIO.exists(gradientVarianceHistory) else { return [] }
        let all = try JSONCoding.decode([GradientVarianceRow].self, from: try FileIO.read(gradientVarianceHistory),
                                        path: gradientVarianceHistory)
        return all.filter { $0.step <= step }
    }

    /// Writes gradient_variance.json and gradient_variance.csv for `rows`.
    func writeGradientVariance(_ rows: [GradientVarianceRow]) throws {
        try AtomicFile.write(try JSONCoding.encode(rows), to: gradientVarianceHistory)
        try AtomicFile.write(GradientVarianceRow.csv(rows), to: gradientVariance)
    }
}
