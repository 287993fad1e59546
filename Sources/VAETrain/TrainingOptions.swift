// Every setting of a training run. Stored in the run's config.json and in each checkpoint, so a
// resumed run continues with exactly the settings it started with.
import VAEData
import VAEModel

/// How training examples are presented to a Bernoulli decoder.
public enum Binarization: String, Codable, Sendable, CaseIterable {
    /// The [0, 1] intensities themselves (as the PyTorch example does).
    case none
    /// A fresh Bernoulli draw of every pixel each time an example is seen.
    case dynamic
}

/// The settings of a training run (everything but where the data and the run directory are).
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var hiddenSizes: [Int] = [400]
    /// The encoder and decoder family; nil (runs from before it existed) is the MLP.
    public var architecture: Architecture?
    public var latentSize: Int = 20
    public var likelihood: Likelihood = .bernoulli
    public var binarize: Binarization = .none
    /// L, Monte Carlo samples of z per example.
    public var mcSamples: Int = 1
    /// The weight of the KL term once warm-up is over.
    public var beta: Double = 1
    /// Epochs over which beta rises linearly from 0 (0: no warm-up).
    public var klWarmupEpochs: Int = 0
    public var learningRate: Double = 1e-3
    public var batchSize: Int = 128
    public var epochs: Int = 10
    public var seed: UInt64 = 1
    /// A periodic checkpoint every this many steps (0: only at the end of each epoch).
    public var checkpointEvery: Int = 200
    /// How many checkpoints to keep in checkpoints/.
    public var keepCheckpoints: Int = 3
    /// Shards whose examples are shuffled together.
    public var shuffleWindow: Int = 4
    /// The importance-weighted bound at the end: K samples on the first N test examples (0: none).
    public var iwaeSamples: Int = 0
    public var iwaeExamples: Int = 0

    public init() {}

    /// The model these options describe for images of `shape`.
    public func modelConfig(shape: ImageShape) -> ModelConfig {
        if case .conv(let channels) = architecture {
            return .conv(height: shape.height, width: shape.width, channels: shape.channels, convChannels: channels,
                         latentSize: latentSize, likelihood: likelihood)
        }
        return ModelConfig(inputSize: shape.pixels, hiddenSizes: hiddenSizes, latentSize: latentSize, likelihood: likelihood,
                           imageHeight: shape.height, imageWidth: shape.width, imageChannels: shape.channels)
    }

    /// The KL weight for `epoch` (0-based): beta · min(1, (epoch + 1) / warm-up epochs).
    public func beta(atEpoch epoch: Int) -> Float {
        guard klWarmupEpochs > 0 else { return Float(beta) }
        return Float(beta * min(1, Double(epoch + 1) / Double(klWarmupEpochs)))
    }

    /// Throws a `TrainError` naming the first setting out of range.
    public func validate() throws {
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw TrainError.invalidOption(message) }
        }
        try require(!hiddenSizes.contains { $0 <= 0 }, "--hidden widths must be positive, got \(hiddenSizes)")
        let channels = architecture?.convChannels ?? []
        try require(!channels.contains { $0 <= 0 }, "--channels must be positive, got \(channels)")
        try require(latentSize > 0, "--latent must be at least 1, got \(latentSize)")
        try require(mcSamples > 0, "--mc-samples must be at least 1, got \(mcSamples)")
        try require(beta >= 0 && beta.isFinite, "--beta must be a non-negative number, got \(beta)")
        try require(klWarmupEpochs >= 0, "--kl-warmup must be 0 or more epochs, got \(klWarmupEpochs)")
        try require(learningRate > 0 && learningRate.isFinite, "--lr must be positive, got \(learningRate)")
        try require(batchSize > 0, "--batch-size must be at least 1, got \(batchSize)")
        try require(epochs > 0, "--epochs must be at least 1, got \(epochs)")
        try require(checkpointEvery >= 0, "--checkpoint-every must be 0 or more steps, got \(checkpointEvery)")
        try require(keepCheckpoints > 0, "--keep-checkpoints must be at least 1, got \(keepCheckpoints)")
        try require(shuffleWindow > 0, "--shuffle-window must be at least 1 shard, got \(shuffleWindow)")
        try require(iwaeSamples >= 0 && iwaeExamples >= 0, "--iwae-k and --iwae-n must not be negative")
        try require((iwaeSamples == 0) == (iwaeExamples == 0), "--iwae-k and --iwae-n go together")
        if case .gaussianFixed(let sigma) = likelihood {
            try require(sigma > 0 && sigma.isFinite, "--sigma must be positive, got \(sigma)")
        }
        if binarize == .dynamic {
            try require(likelihood == .bernoulli, "--binarize dynamic goes with the Bernoulli likelihood")
        }
    }
}

/// Why training could not run or stopped.
public enum TrainError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case runDirectory(path: String, problem: String)
    case mismatch(path: String, problem: String)
    case nonFinite(step: Int, checkpoint: String?)
    case interrupted(step: Int, checkpoint: String)

    public var description: String {
        switch self {
        case .invalidOption(let message): message
        case .runDirectory(let path, let problem): "\(path): \(problem)"
        case .mismatch(let path, let problem): "\(path): \(problem)"
        case .nonFinite(let step, let checkpoint):
            "the loss became NaN or infinite at step \(step); stopped. "
                + (checkpoint.map { "The last good checkpoint is \($0)" } ?? "No checkpoint had been written yet")
                + " (try a lower --lr)"
        case .interrupted(let step, let checkpoint):
            "interrupted at step \(step); checkpoint written to \(checkpoint) (continue with --resume)"
        }
    }
}
