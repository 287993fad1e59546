// The figures of a run as typed values: one `EpochMetrics` per finished epoch, written out as the
// rows of metrics.csv and kept as JSON in history.json (so a resumed run has the earlier epochs),
// and the `RunSummary` of summary.json built from them. Text is produced once, on the way out;
// nothing is parsed back from the CSV. A run whose test split holds no examples has no test
// figures: they are nil here, `null` in the JSON files, empty fields in the CSV, "n/a" in text.
import Foundation
import VAEModel
import VAEShards

/// The figures of one finished epoch: one row of metrics.csv.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// The epoch's number, counted from 1.
    public var epoch: Int
    /// Adam's step count at the end of the epoch.
    public var step: Int
    /// The training examples of the epoch: the whole training split, or fewer in the last epoch
    /// of a step budget (a partial epoch). nil in history.json written before step budgets
    /// existed, when every epoch was whole.
    public var examples: Int?
    /// The mean training objective over the epoch's examples (at that step's parameters).
    public var train: LossParts
    /// The test split's loss with one sample per example, beta 1 (`negativeELBO`); nil when the
    /// test split holds no examples.
    public var test: LossParts?
    /// Training time of the epoch without the test evaluation; an epoch that was resumed counts
    /// only the part after the resume.
    public var seconds: Double
    public var examplesPerSecond: Double
    /// For a run trained on the IWAE bound: the test split's value of that objective, -(the bound)
    /// with its K samples (a model trained on it has a looser ELBO than one trained on the ELBO:
    /// this is the figure it improves); nil for the ELBO, without a test split, and in files
    /// written before it existed.
    public var testObjective: Double?

    public init(epoch: Int, step: Int, examples: Int?, train: LossParts, test: LossParts?, seconds: Double,
                examplesPerSecond: Double, testObjective: Double? = nil) {
        self.epoch = epoch
        self.step = step
        self.examples = examples
        self.train = train
        self.test = test
        self.seconds = seconds
        self.examplesPerSecond = examplesPerSecond
        self.testObjective = testObjective
    }

    /// The CSV header. train_loss is the training objective (the negative ELBO, or the negative
    /// IWAE bound), test_loss the test split's negative ELBO, test_objective the test split's
    /// negative IWAE bound (empty for the ELBO).
    public static let header = "epoch,step,examples,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,seconds,examples_per_second,test_objective"

    /// The CSV row: losses in the shortest form that reads back to the same Double (the test
    /// losses empty without a test split), times with 3 decimals, speed with 1; the examples
    /// empty where history.json did not record them.
    public var csvRow: String {
        let testFields = [test?.negativeELBO, test?.reconstruction, test?.kl].map { $0.map { format($0) } ?? "" }
        return ([String(epoch), String(step), examples.map(String.init) ?? "", format(train.total), format(train.reconstruction),
                 format(train.kl)]
            + testFields + [format(seconds, 3), format(examplesPerSecond, 1), testObjective.map { format($0) } ?? ""])
            .joined(separator: ",")
    }

    /// metrics.csv for `epochs`: the header and one row each, "\n" line ends.
    public static func csv(_ epochs: [EpochMetrics]) -> String {
        ([header] + epochs.map(\.csvRow)).joined(separator: "\n") + "\n"
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, examples, trainLoss, trainRecon, trainKl, testRecon, testKl, seconds, examplesPerSecond, testObjective
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        step = try c.decode(Int.self, forKey: .step)
        examples = try c.decodeIfPresent(Int.self, forKey: .examples)
        train = LossParts(total: try c.decode(Double.self, forKey: .trainLoss),
                          reconstruction: try c.decode(Double.self, forKey: .trainRecon),
                          kl: try c.decode(Double.self, forKey: .trainKl))
        // Both numbers, or both null (no test split); both keys are required.
        switch (try c.decode(Double?.self, forKey: .testRecon), try c.decode(Double?.self, forKey: .testKl)) {
        case (let recon?, let kl?): test = LossParts(total: recon + kl, reconstruction: recon, kl: kl)
        case (nil, nil): test = nil
        default:
            throw DecodingError.dataCorruptedError(forKey: .testKl, in: c, debugDescription: "test_recon and test_kl are not both numbers or both null")
        }
        seconds = try c.decode(Double.self, forKey: .seconds)
        examplesPerSecond = try c.decode(Double.self, forKey: .examplesPerSecond)
        testObjective = try c.decodeIfPresent(Double.self, forKey: .testObjective)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(step, forKey: .step)
        try c.encodeIfPresent(examples, forKey: .examples)
        try c.encode(train.total, forKey: .trainLoss)
        try c.encode(train.reconstruction, forKey: .trainRecon)
        try c.encode(train.kl, forKey: .trainKl)
        try c.encode(test?.reconstruction, forKey: .testRecon)  // null without a test split
        try c.encode(test?.kl, forKey: .testKl)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(examplesPerSecond, forKey: .examplesPerSecond)
        try c.encodeIfPresent(testObjective, forKey: .testObjective)
    }
}

/// What summary.json holds. Every field is written; those that are nil as `null`.
public struct RunSummary: Codable, Equatable, Sendable {
    public var epochs: Int
    public var steps: Int
    public var trainLoss: Double
    /// The last epoch's test figures; nil when the test split holds no examples.
    public var testNegElbo: Double?
    public var testRecon: Double?
    public var testKl: Double?
    /// Training time of each epoch (without the test evaluation); an epoch that was resumed counts
    /// only the part after the resume.
    public var epochSeconds: [Double]
    public var medianEpochSeconds: Double
    public var examplesPerSecond: Double
    /// -(importance-weighted bound): an upper bound on -log p(x), in nats, when computed (asked
    /// for, and the test split holds examples).
    public var iwaeNll: Double?
    public var iwaeK: Int?
    public var iwaeN: Int?
    /// The latent dimensions whose encoder mean varies over the split `activeUnitsSplit` (the
    /// test split, else the train split), of `latentSize` (`CollapseFigures`); nil in summaries
    /// written before they were computed.
    public var activeUnits: Int?
    public var activeUnitsSplit: Split?
    public var latentSize: Int?
    /// PSNR in dB of the reconstructions (the decoder's means at mu) of the test images, and of the
    /// training split's mean image against them; nil without test examples.
    public var testPsnrDb: Double?
    public var meanImagePsnrDb: Double?
    /// Where the time went, over the whole run (this process only, for a resumed run).
    public var phaseSeconds: PhaseTimes

    /// The summary of a run whose epochs are `history` (the last one gives the losses).
    /// - Parameters:
    ///   - iwae: -(the bound), when it was computed, with K and N.
    ///   - collapse: the figures of posterior collapse, when they were computed.
    ///   - trainCount: examples per epoch, for the speed at the median epoch time.
    init(history: [EpochMetrics], steps: Int, iwae: (nll: Double, k: Int, n: Int)?, collapse: CollapseFigures? = nil,
         trainCount: Int, phaseSeconds: PhaseTimes) {
        let last = history.last
        let seconds = history.map(\.seconds)
        let sorted = seconds.sorted()
        let median = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        epochs = history.count
        self.steps = steps
        trainLoss = last?.train.total ?? .nan
        testNegElbo = last?.test?.negativeELBO
        testRecon = last?.test?.reconstruction
        testKl = last?.test?.kl
        epochSeconds = seconds
        medianEpochSeconds = median
        examplesPerSecond = median > 0 ? Double(trainCount) / median : 0
        iwaeNll = iwae?.nll
        iwaeK = iwae?.k
        iwaeN = iwae?.n
        activeUnits = collapse?.activeUnits
        activeUnitsSplit = collapse?.split
        latentSize = collapse?.latentSize
        testPsnrDb = collapse?.reconstructionPSNR
        meanImagePsnrDb = collapse?.meanImagePSNR
        self.phaseSeconds = phaseSeconds
    }

    /// The figures of posterior collapse, when the summary has them.
    public var collapse: CollapseFigures? {
        guard let activeUnits, let activeUnitsSplit, let latentSize else { return nil }
        return CollapseFigures(activeUnits: activeUnits, split: activeUnitsSplit, latentSize: latentSize,
                               reconstructionPSNR: testPsnrDb, meanImagePSNR: meanImagePsnrDb)
    }

    /// Every field, nil ones as `null` (the synthesized encoding would leave them out). Reading
    /// uses the synthesized decoding, so summaries written before the test figures could be
    /// null read as they are.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(steps, forKey: .steps)
        try c.encode(trainLoss, forKey: .trainLoss)
        try c.encode(testNegElbo, forKey: .testNegElbo)
        try c.encode(testRecon, forKey: .testRecon)
        try c.encode(testKl, forKey: .testKl)
        try c.encode(epochSeconds, forKey: .epochSeconds)
        try c.encode(medianEpochSeconds, forKey: .medianEpochSeconds)
        try c.encode(examplesPerSecond, forKey: .examplesPerSecond)
        try c.encode(iwaeNll, forKey: .iwaeNll)
        try c.encode(iwaeK, forKey: .iwaeK)
        try c.encode(iwaeN, forKey: .iwaeN)
        try c.encode(activeUnits, forKey: .activeUnits)
        try c.encode(activeUnitsSplit, forKey: .activeUnitsSplit)
        try c.encode(latentSize, forKey: .latentSize)
        try c.encode(testPsnrDb, forKey: .testPsnrDb)
        try c.encode(meanImagePsnrDb, forKey: .meanImagePsnrDb)
        try c.encode(phaseSeconds, forKey: .phaseSeconds)
    }

    /// The line vae-train prints at the end: the test figures in nats with two decimals ("n/a"
    /// without a test split), the active units and the PSNRs in dB with two decimals (the active
    /// units over the train split, and no PSNR, without a test split), the median epoch time to
    /// three significant digits, the model's path.
    public func finalLine(model: String) -> String {
        let test = testNegElbo.map { elbo in
            "\(format(elbo, 2)) nats (recon \(testRecon.map { format($0, 2) } ?? "n/a"), KL \(testKl.map { format($0, 2) } ?? "n/a"))"
        } ?? "n/a (no test examples)"
        var collapse = ""
        if let figures = self.collapse {
            collapse = "; \(figures.activeUnits)/\(figures.latentSize) active units" + (figures.split == .test ? "" : " (train split)")
            if let reconstruction = figures.reconstructionPSNR, let meanImage = figures.meanImagePSNR {
                collapse += "; reconstruction PSNR \(format(reconstruction, 2)) dB (mean image \(format(meanImage, 2)) dB)"
            }
        }
        return "test negative ELBO \(test)" + (iwaeNll.map { ", IWAE -log p(x) <= \(format($0, 2)) nats" } ?? "") + collapse
            + "; median epoch \(format(medianEpochSeconds, significantDigits: 3)) s; model \(model)"
    }

    /// The line vae-train warns with when the model ignores its input: "warning: " and `collapseProblem`.
    public var collapseWarning: String? { collapseProblem.map { "warning: " + $0 } }

    /// What is wrong when the model ignores its input (`CollapseFigures.collapsed`: no active
    /// unit, or a reconstruction less than 1 dB better than the mean image), with the figures that
    /// show it and what to do; nil otherwise.
    public var collapseProblem: String? {
        guard let figures = collapse, figures.collapsed else { return nil }
        var measured = "\(figures.activeUnits) active unit\(figures.activeUnits == 1 ? "" : "s")"
        if let reconstruction = figures.reconstructionPSNR, let meanImage = figures.meanImagePSNR {
            measured += ", reconstruction PSNR \(format(reconstruction, 2)) dB against \(format(meanImage, 2)) dB for the mean image"
        } else {
            measured += " over the train split"
        }
        return "the model ignores its input (\(measured)): posterior collapse; train longer, see docs/METHOD.md"
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

extension PhaseTimes {
    /// Every phase is required but `gradientVariance`, which summaries written before it existed
    /// do not hold (read as 0).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        data = try c.decode(Double.self, forKey: .data)
        compute = try c.decode(Double.self, forKey: .compute)
        evaluation = try c.decode(Double.self, forKey: .evaluation)
        checkpoints = try c.decode(Double.self, forKey: .checkpoints)
        gradientVariance = try c.decodeIfPresent(Double.self, forKey: .gradientVariance) ?? 0
    }
}

/// A number with `digits` decimals (printf's %f, which ignores the locale), or the shortest form
/// that reads back to the same Double when `digits` is nil.
func format(_ value: Double, _ digits: Int? = nil) -> String {
    guard let digits else { return "\(value)" }
    return String(format: "%.\(digits)f", value)
}

/// A number rounded to `significantDigits` in fixed notation, whole digits kept (3: 0.00186,
/// 1.86, 18.6, 186, 1864).
func format(_ value: Double, significantDigits: Int) -> String {
    guard value != 0, value.isFinite else { return format(value, significantDigits - 1) }
    let magnitude = Int(log10(abs(value)).rounded(.down))
    return format(value, max(0, significantDigits - 1 - magnitude))
}
