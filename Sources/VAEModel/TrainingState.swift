// The training run's side of a checkpoint: the one settings type of a run (what the user chose,
// stored in config.json and in every checkpoint), and where the training loop is (epoch, position
// in the epoch, generator, the epoch's running loss sums). Both are Codable with every field
// required: a missing field is an error, never a silent 0.

/// How training examples are presented to a Bernoulli decoder.
public enum Binarization: String, Codable, Sendable, CaseIterable {
    /// The [0, 1] intensities themselves (as the PyTorch example does).
    case none
    /// A fresh Bernoulli draw of every pixel each time an example is seen.
    case dynamic
}

/// Every setting of a training run (everything but where the data and the run directory are,
/// and the thread count, which may change on resume). The defaults are vae-train's.
public struct TrainingSettings: Codable, Equatable, Sendable {
    /// The widths of the encoder's hidden layers, input side first.
    public var hiddenSizes: [Int] = [400]
    /// The encoder and decoder family; nil (runs from before it existed) is the MLP.
    public var architecture: Architecture?
    /// Z, latent dimensions.
    public var latentSize: Int = 20
    public var likelihood: Likelihood = .bernoulli
    public var binarize: Binarization = .none
    /// L, Monte Carlo samples of z per example.
    public var mcSamples: Int = 1
    /// The weight of the KL term once warm-up is over.
    public var beta: Double = 1
    /// Epochs over which beta rises linearly from 0 (0: no warm-up).
    public var klWarmupEpochs: Int = 0
    /// Adam's learning rate.
    public var learningRate: Double = 1e-3
    /// Examples per step.
    public var batchSize: Int = 128
    /// Epochs to train in total.
    public var epochs: Int = 10
    /// The seed of every random draw: initialization, shuffles, eps, binarization.
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
    /// How the encoder's gradient is estimated; nil (runs from before it existed) is the
    /// reparameterization.
    public var estimator: GradientEstimator?
    /// Every this many steps (and at step 1), the gradient's spread over `gradientVarianceDraws`
    /// draws of eps under every estimator, into gradient_variance.csv; nil or 0: never.
    public var gradientVarianceEvery: Int?
    /// K, the draws of each gradient-variance measurement; nil: 100.
    public var gradientVarianceDraws: Int?
    /// A conditional VAE, q(z|x,y) and p(x|z,y), over the classes of labelled shards; nil
    /// (runs from before it existed) is false.
    public var conditional: Bool?

    public init() {}
}

/// Sums over the examples of the epoch in progress, for its mean train loss.
public struct LossSums: Codable, Equatable, Sendable {
    /// Σ count · total loss of each step.
    public var total = 0.0
    public var reconstruction = 0.0
    public var kl = 0.0

    public init(total: Double = 0, reconstruction: Double = 0, kl: Double = 0) {
        self.total = total
        self.reconstruction = reconstruction
        self.kl = kl
    }

    /// Adds a step's per-example loss over `count` examples.
    public mutating func add(_ parts: LossParts, count: Int) {
        total += parts.total * Double(count)
        reconstruction += parts.reconstruction * Double(count)
        kl += parts.kl * Double(count)
    }

    /// The per-example means over `count` examples.
    public func mean(over count: Int) -> LossParts {
        let n = Double(max(count, 1))
        return LossParts(total: total / n, reconstruction: reconstruction / n, kl: kl / n)
    }
}

/// Where the training loop is, at a step boundary: what a checkpoint carries besides the model,
/// Adam and the settings.
public struct TrainingState: Equatable, Sendable {
    /// The epoch in progress, counted from 0 (after a finished epoch e: epoch e+1, examplesSeen 0).
    public var epoch: Int
    /// Examples of `epoch` already trained on, in the order of that epoch's shuffle.
    public var examplesSeen: Int
    /// The trainer's generator (eps, binarization) after the last step.
    public var rng: SeededRandom
    /// The losses of this epoch's examples so far.
    public var lossSums: LossSums

    public init(epoch: Int = 0, examplesSeen: Int = 0, rng: SeededRandom, lossSums: LossSums = LossSums()) {
        self.epoch = epoch
        self.examplesSeen = examplesSeen
        self.rng = rng
        self.lossSums = lossSums
    }
}
