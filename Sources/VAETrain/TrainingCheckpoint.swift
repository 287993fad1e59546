// The trainer's side of a checkpoint: the state of the run as a `Checkpoint`, and the checks it
// makes before continuing from one.
import VAECore
import VAEModel

enum TrainingCheckpoint {
    /// The state of the run now, as a checkpoint.
    static func capture(model: VAE, state: TrainingState, config: RunConfig) -> Checkpoint {
        var checkpoint = model.checkpoint(settings: config.settings, threads: config.threads, state: state,
                                          image: config.data.shape, dataIdentity: config.data.identity)
        checkpoint.ranks = config.rankCount
        return checkpoint
    }

    /// Throws `TrainError.mismatch` unless `checkpoint` belongs to the run `config` describes.
    /// The thread count may differ (the results then differ in the last bits).
    static func check(_ checkpoint: Checkpoint, against config: RunConfig, path: String) throws {
        guard checkpoint.config == config.model else {
            throw TrainError.mismatch(path: path, problem: "checkpoint is for another model configuration than the run's config.json")
        }
        guard checkpoint.dataIdentity == config.data.identity else {
            throw TrainError.mismatch(path: path, problem: "checkpoint was trained on other data than the run's config.json names")
        }
        guard checkpoint.settings == config.settings else {
            throw TrainError.mismatch(path: path, problem: "checkpoint was written with other training settings than the run's config.json")
        }
        guard checkpoint.ranks == config.rankCount else {
            throw TrainError.mismatch(path: path, problem: "checkpoint was trained by \(checkpoint.ranks) processes, the run's config.json says \(config.rankCount)")
        }
    }
}
