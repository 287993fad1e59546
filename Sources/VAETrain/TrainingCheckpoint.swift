// The trainer's side of a checkpoint: what it puts into VAEModel's `Checkpoint` besides the model
// (the loop's position, the generator, the epoch's running sums, the image shape), and the checks
// it makes before continuing from one.
import VAEData
import VAEModel

enum TrainingCheckpoint {
    /// The state of the run now, as a checkpoint.
    static func capture(model: VAE, state: Trainer.LoopState, config: RunConfig) -> Checkpoint {
        let o = config.options
        let metadata: JSONValue = .object([
            "epoch_loss_sum": .number(state.lossSum),
            "epoch_recon_sum": .number(state.reconSum),
            "epoch_kl_sum": .number(state.klSum),
            "image_height": .number(Double(config.data.imageHeight)),
            "image_width": .number(Double(config.data.imageWidth)),
            "image_channels": .number(Double(config.data.imageChannels ?? 1)),
        ])
        return model.checkpoint(
            training: settings(o, threads: config.threads), epoch: state.epoch, examplesSeen: state.position,
            rng: state.rng, dataIdentity: config.data.identity, metadata: metadata)
    }

    static func settings(_ o: TrainingOptions, threads: Int) -> TrainingSettings {
        TrainingSettings(
            learningRate: o.learningRate, beta: Float(o.beta), klWarmupEpochs: o.klWarmupEpochs,
            batchSize: o.batchSize, mcSamples: o.mcSamples, binarize: o.binarize == .dynamic, seed: o.seed,
            epochs: o.epochs, threads: threads)
    }

    /// Throws `TrainError.mismatch` unless `checkpoint` belongs to the run `config` describes.
    static func check(_ checkpoint: Checkpoint, against config: RunConfig, path: String) throws {
        guard checkpoint.config == config.model else {
            throw TrainError.mismatch(path: path, problem: "checkpoint is for another model configuration than the run's config.json")
        }
        guard checkpoint.dataIdentity == config.data.identity else {
            throw TrainError.mismatch(path: path, problem: "checkpoint was trained on other data than the run's config.json names")
        }
        // The thread count may change on resume (the results then differ in the last bits).
        guard checkpoint.training == settings(config.options, threads: checkpoint.training.threads) else {
            throw TrainError.mismatch(path: path, problem: "checkpoint was written with other training settings than the run's config.json")
        }
    }

    /// The model and loop state saved in `checkpoint`.
    static func restore(_ checkpoint: Checkpoint) throws -> (VAE, Trainer.LoopState) {
        let model = try VAE(checkpoint: checkpoint)
        func number(_ key: String) -> Double {
            if case .object(let fields) = checkpoint.metadata, case .number(let value)? = fields[key] { return value }
            return 0
        }
        var rng = SeededRandom(seed: 0)
        rng.state = checkpoint.rngState
        let state = Trainer.LoopState(
            epoch: checkpoint.epoch, position: checkpoint.examplesSeen, rng: rng,
            lossSum: number("epoch_loss_sum"), reconSum: number("epoch_recon_sum"), klSum: number("epoch_kl_sum"))
        return (model, state)
    }
}
