// What the trainer derives from the run's settings (`TrainingSettings`, the one settings type:
// config.json and every checkpoint hold it), the checks it makes before any work starts, and the
// errors that stop a run.
import VAECore
import VAEModel

extension TrainingSettings {
    /// The model these settings describe for images of `shape` (H·W·C inputs); a conditional one
    /// over the classes `classNames` (the manifest's label names).
    public func modelConfig(shape: ImageShape, classNames: [String]? = nil) -> ModelConfig {
        var config: ModelConfig
        if case .conv(let channels) = architecture {
            config = .conv(height: shape.height, width: shape.width, channels: shape.channels, convChannels: channels,
                           latentSize: latentSize, likelihood: likelihood)
        } else {
            config = ModelConfig(inputSize: shape.pixels, hiddenSizes: hiddenSizes, latentSize: latentSize, likelihood: likelihood,
                                 imageHeight: shape.height, imageWidth: shape.width, imageChannels: shape.channels)
        }
        if conditional { config.classNames = classNames ?? [] }
        config.prior = prior
        return config
    }

    /// The KL weight of step `step` (counted from 1) in `epoch` (0-based): with a warm-up in steps
    /// beta · min(1, step / warm-up steps), with one in epochs beta · min(1, (epoch + 1) / warm-up
    /// epochs), else beta.
    public func beta(atStep step: Int, epoch: Int) -> Float {
        if klWarmupSteps > 0 { return Float(beta * min(1, Double(step) / Double(klWarmupSteps))) }
        guard klWarmupEpochs > 0 else { return Float(beta) }
        return Float(beta * min(1, Double(epoch + 1) / Double(klWarmupEpochs)))
    }

    /// Optimizer steps of one epoch over `trainCount` examples (the last batch may be partial).
    public func stepsPerEpoch(trainCount: Int) -> Int {
        (trainCount + batchSize - 1) / batchSize
    }

    /// The epochs of the run over `trainCount` examples: `epochs`, or as many as the step budget
    /// needs (the last one partial when the budget is not a whole number of epochs).
    public func plannedEpochs(trainCount: Int) -> Int {
        steps > 0 ? (steps + stepsPerEpoch(trainCount: trainCount) - 1) / stepsPerEpoch(trainCount: trainCount) : epochs
    }

    /// The optimizer steps of the whole run over `trainCount` examples.
    public func plannedSteps(trainCount: Int) -> Int {
        steps > 0 ? steps : epochs * stepsPerEpoch(trainCount: trainCount)
    }

    /// A run of fewer steps is probably too short to learn anything (the warning's threshold).
    public static let shortRunSteps = 1000

    /// Throws a `TrainError` naming the first setting out of range. The upper bounds are the
    /// ones a checkpoint is read against (`ModelConfig.checkLimits`, `TrainingSettings.checkLimits`),
    /// so a run that starts can always be resumed from its own checkpoints.
    public func validate() throws {
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw TrainError.invalidOption(message) }
        }
        let width = 1...ModelConfig.maxWidth
        try require(hiddenSizes.allSatisfy(width.contains), "--hidden widths must be 1 to \(ModelConfig.maxWidth), got \(hiddenSizes)")
        try require(hiddenSizes.count <= ModelConfig.maxHiddenLayers,
                    "--hidden gives \(hiddenSizes.count) layers, over the limit of \(ModelConfig.maxHiddenLayers)")
        let channels = architecture.convChannels
        try require(!channels.contains { $0 <= 0 }, "--channels must be positive, got \(channels)")
        try require(width.contains(latentSize), "--latent must be 1 to \(ModelConfig.maxWidth), got \(latentSize)")
        try require((1...Self.maxMCSamples).contains(mcSamples), "--mc-samples must be 1 to \(Self.maxMCSamples), got \(mcSamples)")
        try require(beta >= 0 && beta.isFinite, "--beta must be a non-negative number, got \(beta)")
        try require(klWarmupEpochs >= 0 && klWarmupSteps >= 0, "--kl-warmup must not be negative")
        try require(klWarmupSteps == 0 || steps > 0, "a KL warm-up in steps goes with --steps")
        try require(learningRate > 0 && learningRate.isFinite, "--lr must be positive, got \(learningRate)")
        try require((1...Self.maxBatchSize).contains(batchSize), "--batch-size must be 1 to \(Self.maxBatchSize), got \(batchSize)")
        if steps != 0 {
            try require(steps > 0, "--steps must be at least 1, got \(steps)")
            try require(epochs == 0, "--steps and --epochs do not go together: give one budget")
        } else {
            try require(epochs > 0, "--epochs must be at least 1, got \(epochs)")
        }
        try require(steps <= Self.maxSteps, "--steps must be at most \(Self.maxSteps), got \(steps)")
        try require(checkpointEvery >= 0, "--checkpoint-every must be 0 or more steps, got \(checkpointEvery)")
        try require(keepCheckpoints > 0, "--keep-checkpoints must be at least 1, got \(keepCheckpoints)")
        try require(shuffleWindow > 0, "--shuffle-window must be at least 1 shard, got \(shuffleWindow)")
        try require(iwaeSamples >= 0 && iwaeExamples >= 0, "--iwae-k and --iwae-n must not be negative")
        try require((iwaeSamples == 0) == (iwaeExamples == 0), "--iwae-k and --iwae-n go together")
        try require(gradientVarianceEvery >= 0, "--gradient-variance-every must be 0 or more steps, got \(gradientVarianceEvery)")
        try require((2...TrainingSettings.maxGradientVarianceDraws).contains(gradientVarianceDraws),
                    "--gradient-variance-draws must be at least 2 and at most \(TrainingSettings.maxGradientVarianceDraws), got \(gradientVarianceDraws)")
        if case .gaussianFixed(let sigma) = likelihood {
            try require(sigma > 0 && sigma.isFinite, "--sigma must be positive, got \(sigma)")
        }
        if objective == .iwae || prior != .standard {
            try require(estimator == .reparameterization,
                        "--objective iwae and --prior vamp train through the reparameterization: leave out --estimator \(estimator.rawValue)")
        }
        if case .vamp(let k) = prior {
            try require((1...ModelConfig.maxPseudoInputs).contains(k), "--pseudo-inputs must be 1 to \(ModelConfig.maxPseudoInputs), got \(k)")
            try require(!conditional, "--prior vamp is for unconditional models: leave out --conditional")
        }
        if binarize == .dynamic {
            try require(likelihood == .bernoulli, "--binarize dynamic goes with the Bernoulli likelihood")
        }
        do {  // the rest of the checkpoint's limits (counts that must fit its 32-bit fields)
            try checkLimits()
        } catch {
            throw TrainError.invalidOption(error.description)
        }
    }
}

/// What the run was doing when it was stopped.
public enum TrainingPhase: String, Sendable {
    case training = "training"
    case testEvaluation = "the test evaluation"
    case importanceWeightedBound = "the importance-weighted bound"
    /// The active units and the PSNRs (`CollapseFigures`).
    case collapseFigures = "the posterior-collapse figures"
    case finalWrites = "the final writes"
}

/// Why training could not run or stopped.
public enum TrainError: Error, CustomStringConvertible, Equatable, InterruptionError {
    case invalidOption(String)
    case runDirectory(path: String, problem: String)
    case mismatch(path: String, problem: String)
    case nonFinite(step: Int, checkpoint: String?)
    /// Stopped by SIGINT or SIGTERM (`signal`) during `phase`; the run's state is in `checkpoint`.
    case interrupted(step: Int, phase: TrainingPhase, checkpoint: String, runDirectory: String, signal: Int32)
    /// Training ended but a final file could not be written (`problem`); the trained model is in
    /// `model` (model.ckpt or the last checkpoint), nil when no write of it succeeded.
    case unfinished(problem: String, model: String?, runDirectory: String)

    public var description: String {
        switch self {
        case .invalidOption(let message): message
        case .runDirectory(let path, let problem): "\(path): \(problem)"
        case .mismatch(let path, let problem): "\(path): \(problem)"
        case .nonFinite(let step, let checkpoint):
            "the loss became NaN or infinite at step \(step); stopped. "
                + (checkpoint.map { "The last good checkpoint is \($0)" } ?? "No checkpoint had been written yet")
                + " (try a lower --lr)"
        case .interrupted(let step, let phase, let checkpoint, let run, _):
            "interrupted during \(phase.rawValue) at step \(step); checkpoint written to \(checkpoint). "
                + "Continue with: vae-train --resume \(run)"
        case .unfinished(let problem, let model?, let run):
            "\(problem). The trained model is saved in \(model); once the problem is fixed, "
                + "vae-train --resume \(run) finishes the run"
        case .unfinished(let problem, nil, let run):
            "\(problem). The trained model could not be saved; vae-train --resume \(run) trains again from the run's newest checkpoint"
        }
    }

    /// The signal of an interruption (nil for every other error).
    public var interruptingSignal: Int32? {
        if case .interrupted(_, _, _, _, let signal) = self { return signal }
        return nil
    }
}
