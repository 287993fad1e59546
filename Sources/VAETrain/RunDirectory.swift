// The layout of a run directory and the small files in it:
//
//   config.json     every setting, the model, and the identity of the training data
//   metrics.csv     one row per epoch
//   summary.json    the final figures
//   model.ckpt      the final checkpoint
//   checkpoints/    periodic and end-of-epoch checkpoints, step-NNNNNNNNN.ckpt, the newest few kept
import Foundation
import VAEData
import VAEModel

/// What config.json holds.
public struct RunConfig: Codable, Equatable, Sendable {
    public struct DataReference: Codable, Equatable, Sendable {
        public var directory: String
        /// SHA-256 of the shard manifest.
        public var identity: String
        public var trainCount: Int
        public var testCount: Int
        public var imageHeight: Int
        public var imageWidth: Int
        /// 1 gray, 3 RGB; absent in runs made before color (then 1).
        public var imageChannels: Int? = nil
    }

    public var tool: ToolInfo
    public var data: DataReference
    public var options: TrainingOptions
    public var model: ModelConfig
    /// OpenBLAS threads: results are bit-identical for the same count.
    public var threads: Int
}

/// One row of metrics.csv.
public struct EpochMetrics: Equatable, Sendable {
    public var epoch: Int
    public var step: Int
    public var train: LossParts
    public var test: LossParts
    public var seconds: Double
    public var examplesPerSecond: Double

    static let header = "epoch,step,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,seconds,examples_per_second"

    var csvRow: String {
        [String(epoch), String(step), format(train.total), format(train.reconstruction), format(train.kl),
         format(test.negativeELBO), format(test.reconstruction), format(test.kl), format(seconds, 3),
         format(examplesPerSecond, 1)].joined(separator: ",")
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
}

/// Seconds spent in each phase of training, reported in summary.json.
public struct PhaseTimes: Codable, Equatable, Sendable {
    /// Waiting for shards and assembling batches.
    public var data = 0.0
    /// Forward, backward and the Adam update.
    public var compute = 0.0
    public var evaluation = 0.0
    public var checkpoints = 0.0
}

public struct RunDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var config: String { FileIO.join(path, "config.json") }
    public var metrics: String { FileIO.join(path, "metrics.csv") }
    public var summary: String { FileIO.join(path, "summary.json") }
    public var model: String { FileIO.join(path, "model.ckpt") }
    public var checkpoints: String { FileIO.join(path, "checkpoints") }

    public func checkpoint(step: Int) -> String {
        let digits = String(step)
        return FileIO.join(checkpoints, "step-\(String(repeating: "0", count: max(0, 9 - digits.count)))\(digits).ckpt")
    }

    /// The checkpoints in checkpoints/, newest (highest step) first.
    public func listCheckpoints() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []
        return names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".ckpt") }.sorted(by: >).map { FileIO.join(checkpoints, $0) }
    }

    /// Removes checkpoint files a killed run left half-written under their temporary names.
    func removeTemporaries() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
            try? FileManager.default.removeItem(atPath: FileIO.join(checkpoints, name))
        }
    }

    /// Removes all but the newest `keep` checkpoints.
    func prune(keep: Int) {
        for old in listCheckpoints().dropFirst(keep) { try? FileManager.default.removeItem(atPath: old) }
    }

    /// Whether the directory holds anything a new run would overwrite.
    var holdsRun: Bool {
        !listCheckpoints().isEmpty || FileIO.exists(model) || FileIO.exists(config)
    }

    func readConfig() throws -> RunConfig {
        guard FileIO.exists(config) else {
            throw TrainError.runDirectory(path: path, problem: "not a run directory (no config.json)")
        }
        return try JSONCoding.decode(RunConfig.self, from: try FileIO.read(config), path: config)
    }

    /// The rows of metrics.csv for epochs before `epoch` (the rest are redone by a resumed run).
    func readMetricsRows(before epoch: Int) -> [String] {
        guard let bytes = try? FileIO.read(metrics) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst()
            .filter { Int($0.prefix { $0 != "," }).map { $0 <= epoch } ?? false }.map(String.init)
    }

    func writeMetrics(rows: [String]) throws {
        try AtomicFile.write(([EpochMetrics.header] + rows).joined(separator: "\n") + "\n", to: metrics)
    }
}

/// A number with `digits` decimals (printf's %f, which ignores the locale), or the shortest form
/// that reads back to the same Double when `digits` is nil.
func format(_ value: Double, _ digits: Int? = nil) -> String {
    guard let digits else { return "\(value)" }
    return String(format: "%.\(digits)f", value)
}
