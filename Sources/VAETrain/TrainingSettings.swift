// The one settings type of a training run: what the user chose, stored in config.json and in
// every checkpoint header. Codable with every field required, but those added after the first
// runs, which decode to their defaults when absent.
import VAEModel

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
