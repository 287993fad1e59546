// A model and a training run's checkpoint: the model's state captured into one, and a model made
// from one. VAEModel knows nothing of checkpoints; it restores from the saved values themselves
// (`VAE.restore(config:parameters:adamM:adamV:optimizer:scoreBaseline:)`).
import VAECore
import VAEModel

extension VAE {
    /// The model's state as a checkpoint, with the run's settings, the loop's state, the image
    /// shape and the identity of the data.
    public func checkpoint(settings: TrainingSettings, threads: Int, state: TrainingState, image: ImageShape,
                           dataIdentity: String) -> Checkpoint {
        Checkpoint(config: config, settings: settings, threads: threads, adam: optimizer, state: state, image: image,
                   dataIdentity: dataIdentity, parameters: Array(parameters), adamM: Array(adamM), adamV: Array(adamV),
                   scoreBaseline: scoreBaseline.value)
    }

    /// A model in the state saved in `checkpoint`: parameters, Adam moments and step count,
    /// `settings.mcSamples` samples per example, the run's gradient estimator and objective.
    /// Gradients start at zero.
    public convenience init(checkpoint c: Checkpoint, batchCapacity: Int? = nil) throws(ModelError) {
        try self.init(config: c.config, seed: 0, batchCapacity: batchCapacity ?? max(c.settings.batchSize, 1),
                      mcSamples: max(c.settings.mcSamples, 1), learningRate: c.adam.learningRate)
        try restore(from: c)
        estimator = c.settings.estimator
        objective = c.settings.objective
    }

    /// Overwrites parameters, Adam moments and Adam's state with those of `checkpoint`, which must
    /// be for the same model config; gradients are set to zero.
    public func restore(from c: Checkpoint) throws(ModelError) {
        try restore(config: c.config, parameters: c.parameters, adamM: c.adamM, adamV: c.adamV, optimizer: c.adam,
                    scoreBaseline: ScoreBaseline(value: c.scoreBaseline))
    }
}

extension SafeTensors {
    /// The parameters of `checkpoint` as safetensors (`init(config:parameters:image:classNames:toolVersion:)`).
    /// - Throws: `ModelError` when the configuration cannot be encoded.
    public init(checkpoint: Checkpoint, image: ImageShape, classNames: [String]?, toolVersion: String = PipelineVersion.current) throws {
        try self.init(config: checkpoint.config, parameters: checkpoint.parameters, image: image, classNames: classNames,
                      toolVersion: toolVersion)
    }
}
