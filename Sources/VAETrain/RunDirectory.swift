// The layout of a run directory and the small files in it:
//
//   config.json     every setting, the model, and the identity of the training data
//   metrics.csv     one row per finished epoch (written from the typed values, never read back)
//   history.json    the same figures as JSON, read by a resumed run
//   summary.json    the final figures
//   model.ckpt      the final checkpoint
//   model.safetensors  the final weights for PyTorch
//   checkpoints/    periodic and end-of-epoch checkpoints, step-NNNNNNNNN.ckpt, the newest few kept
import Foundation
import VAECore
import VAEShards
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
        public var imageChannels: Int

        /// The images' shape.
        public var shape: ImageShape { ImageShape(height: imageHeight, width: imageWidth, channels: imageChannels) }
    }

    public var tool: ToolInfo
    public var data: DataReference
    public var settings: TrainingSettings
    public var model: ModelConfig
    /// Training threads (slices of each batch, `VAE.useThreads`): results are bit-identical for the same count.
    public var threads: Int
    /// The processes training it (mpirun -np N); nil (absent from config.json) for one. The bits
    /// depend on it, and `--resume` requires the same count.
    public var ranks: Int?

    /// N, the processes training the run (1 when not recorded).
    public var rankCount: Int { ranks ?? 1 }
}

public struct RunDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var config: String { FileIO.join(path, "config.json") }
    public var metrics: String { FileIO.join(path, "metrics.csv") }
    public var history: String { FileIO.join(path, "history.json") }
    public var summary: String { FileIO.join(path, "summary.json") }
    public var model: String { FileIO.join(path, "model.ckpt") }
    /// The final model's weights as safetensors.
    public var safetensors: String { FileIO.join(path, "model.safetensors") }
    public var checkpoints: String { FileIO.join(path, "checkpoints") }

    public func checkpoint(step: Int) -> String {
        FileIO.join(checkpoints, "step-\(zeroPadded(step, width: 9)).ckpt")
    }

    /// The checkpoints in checkpoints/, newest (highest step) first.
    public func listCheckpoints() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []
        return names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".ckpt") }.sorted(by: >).map { FileIO.join(checkpoints, $0) }
    }

    /// Removes the files a killed run left half-written under their temporary names, at the top
    /// of the run directory (model.ckpt, summary.json, metrics.csv, ...) and in checkpoints/.
    func removeTemporaries() {
        for directory in [path, checkpoints] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where AtomicFile.isTemporaryName(name) {
                try? FileManager.default.removeItem(atPath: FileIO.join(directory, name))
            }
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

    /// The finished epochs recorded in history.json, up to and including epoch number `through`
    /// (counted from 1; the later ones are redone by a resumed run).
    func readHistory(through epoch: Int) throws -> [EpochMetrics] {
        guard FileIO.exists(history) else { return [] }
        let all = try JSONCoding.decode([EpochMetrics].self, from: try FileIO.read(history), path: history)
        return all.filter { $0.epoch <= epoch }
    }

    /// Writes metrics.csv and history.json for `epochs`.
    func writeMetrics(_ epochs: [EpochMetrics]) throws {
        try AtomicFile.write(try JSONCoding.encode(epochs), to: history)
        try AtomicFile.write(EpochMetrics.csv(epochs), to: metrics)
    }
}
