// The figures of a run as typed values: one `EpochMetrics` per finished epoch, written out as the
// rows of metrics.csv and kept as JSON in history.json (so a resumed run has the earlier epochs),
// and the `RunSummary` of summary.json built from them. Text is produced once, on the way out;
// nothing is parsed back from the CSV.
import Foundation
import VAEModel

/// The figures of one finished epoch: one row of metrics.csv.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// The epoch's number, counted from 1.
    public var epoch: Int
    /// Adam's step count at the end of the epoch.
    public var step: Int
    /// The mean training objective over the epoch's examples (at that step's parameters).
    public var train: LossParts
    /// The test split's loss with one sample per example, beta 1 (`negativeELBO`).
    public var test: LossParts
    /// Training time of the epoch without the test evaluation; an epoch that was resumed counts
    /// only the part after the resume.
    public var seconds: Double
    public var examplesPerSecond: Double

    public init(epoch: Int, step: Int, train: LossParts, test: LossParts, seconds: Double, examplesPerSecond: Double) {
        self.epoch = epoch
        self.step = step
        self.train = train
        self.test = test
        self.seconds = seconds
        self.examplesPerSecond = examplesPerSecond
    }

    /// The CSV header.
    public static let header = "epoch,step,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,seconds,examples_per_second"

    /// The CSV row: losses in the shortest form that reads back to the same Double, times with 3
    /// decimals, speed with 1.
    public var csvRow: String {
        [String(epoch), String(step), format(train.total), format(train.reconstruction), format(train.kl),
         format(test.negativeELBO), format(test.reconstruction), format(test.kl), format(seconds, 3),
         format(examplesPerSecond, 1)].joined(separator: ",")
    }

    /// metrics.csv for `epochs`: the header and one row each, "\n" line ends.
    public static func csv(_ epochs: [EpochMetrics]) -> String {
        ([header] + epochs.map(\.csvRow)).joined(separator: "\n") + "\n"
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, trainLoss, trainRecon, trainKl, testRecon, testKl, seconds, examplesPerSecond
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        step = try c.decode(Int.self, forKey: .step)
        train = LossParts(total: try c.decode(Double.self, forKey: .trainLoss),
                          reconstruction: try c.decode(Double.self, forKey: .trainRecon),
                          kl: try c.decode(Double.self, forKey: .trainKl))
        let recon = try c.decode(Double.self, forKey: .testRecon), kl = try c.decode(Double.self, forKey: .testKl)
        test = LossParts(total: recon + kl, reconstruction: recon, kl: kl)
        seconds = try c.decode(Double.self, forKey: .seconds)
        examplesPerSecond = try c.decode(Double.self, forKey: .examplesPerSecond)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(step, forKey: .step)
        try c.encode(train.total, forKey: .trainLoss)
        try c.encode(train.reconstruction, forKey: .trainRecon)
        try c.encode(train.kl, forKey: .trainKl)
        try c.encode(test.reconstruction, forKey: .testRecon)
        try c.encode(test.kl, forKey: .testKl)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(examplesPerSecond, forKey: .examplesPerSecond)
    }
}

/// What summary.json holds.
public struct RunSummary: Codable, Equatable, Sendable {
    public var epochs: Int
    public var steps: Int
    public var trainLoss: Double
    public var testNegElbo: Double
    public var testRecon: Double
    public var testKl: Double
    /// Training time of each epoch (without the test evaluation); an epoch that was resumed counts
    /// only the part after the resume.
    public var epochSeconds: [Double]
    public var medianEpochSeconds: Double
    public var examplesPerSecond: Double
    /// -(importance-weighted bound): an upper bound on -log p(x), in nats, when computed.
    public var iwaeNll: Double?
    public var iwaeK: Int?
    public var iwaeN: Int?
    /// Where the time went, over the whole run (this process only, for a resumed run).
    public var phaseSeconds: PhaseTimes

    /// The summary of a run whose epochs are `history` (the last one gives the losses).
    /// - Parameters:
    ///   - iwae: -(the bound), when it was computed, with K and N.
    ///   - trainCount: examples per epoch, for the speed at the median epoch time.
    init(history: [EpochMetrics], steps: Int, iwae: (nll: Double, k: Int, n: Int)?, trainCount: Int, phaseSeconds: PhaseTimes) {
        let last = history.last
        let seconds = history.map(\.seconds)
        let sorted = seconds.sorted()
        let median = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        epochs = history.count
        self.steps = steps
        trainLoss = last?.train.total ?? .nan
        testNegElbo = last?.test.negativeELBO ?? .nan
        testRecon = last?.test.reconstruction ?? .nan
        testKl = last?.test.kl ?? .nan
        epochSeconds = seconds
        medianEpochSeconds = median
        examplesPerSecond = median > 0 ? Double(trainCount) / median : 0
        iwaeNll = iwae?.nll
        iwaeK = iwae?.k
        iwaeN = iwae?.n
        self.phaseSeconds = phaseSeconds
    }
}

/// Seconds spent in each phase of training, reported in summary.json.
public struct PhaseTimes: Codable, Equatable, Sendable {
    /// Waiting for shards and assembling batches.
    public var data = 0.0
    /// Forward, backward and the Adam update.
    public var compute = 0.0
    public var evaluation = 0.0
    public var checkpoints = 0.0
    /// Measuring the gradient's variance (`--gradient-variance-every`), not counted in epoch times.
    public var gradientVariance = 0.0
}

/// A number with `digits` decimals (printf's %f, which ignores the locale), or the shortest form
/// that reads back to the same Double when `digits` is nil.
func format(_ value: Double, _ digits: Int? = nil) -> String {
    guard let digits else { return "\(value)" }
    return String(format: "%.\(digits)f", value)
}
