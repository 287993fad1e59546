// The one settings type of a training run: what the user chose, stored in config.json and in
// every checkpoint header. Codable with every field required, but those added after the first
// runs (architecture, estimator, the gradient-variance interval and draws, conditional, the step
// budget and its warm-up, augmentation, the objective and the prior): those decode to their defaults when absent, and are
// written only when they differ from them, so the files of a run that leaves them alone have the
// bytes they had before the fields existed.
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
    /// The encoder and decoder family.
    public var architecture: Architecture = .mlp
    /// Z, latent dimensions.
    public var latentSize: Int = 20
    public var likelihood: Likelihood = .bernoulli
    public var binarize: Binarization = .none
    /// L, Monte Carlo samples of z per example.
    public var mcSamples: Int = 1
    /// The weight of the KL term once warm-up is over.
    public var beta: Double = 1
    /// Epochs over which beta rises linearly from 0 (0: no warm-up, or a warm-up in steps).
    public var klWarmupEpochs: Int = 0
    /// Steps over which beta rises linearly from 0, for a budget of steps (0: none).
    public var klWarmupSteps: Int = 0
    /// Adam's learning rate.
    public var learningRate: Double = 1e-3
    /// Examples per step.
    public var batchSize: Int = 128
    /// Epochs to train in total (0 when the budget is `steps`).
    public var epochs: Int = 10
    /// Optimizer steps to train in total, epochs being passes over the training split as ever
    /// and the last one partial (0: the budget is `epochs`).
    public var steps: Int = 0
    /// How each training batch is augmented (never the test split).
    public var augment: Augmentation = .none
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
    /// How the encoder's gradient is estimated.
    public var estimator: GradientEstimator = .reparameterization
    /// Every this many steps (and at step 1), the gradient's spread over `gradientVarianceDraws`
    /// draws of eps under every estimator, into gradient_variance.csv; 0: never.
    public var gradientVarianceEvery: Int = 0
    /// K, the draws of each gradient-variance measurement.
    public var gradientVarianceDraws: Int = Self.defaultGradientVarianceDraws
    /// A conditional VAE, q(z|x,y) and p(x|z,y), over the classes of labelled shards.
    public var conditional: Bool = false
    /// What a step minimizes: the negative ELBO with `mcSamples` samples, or the negative IWAE
    /// bound with `mcSamples` importance samples (`--train-k`).
    public var objective: TrainingObjective = .elbo
    /// The prior p(z): N(0, I) or the VampPrior with its pseudo-inputs.
    public var prior: Prior = .standard

    /// Draws per gradient-variance measurement when none is given.
    public static let defaultGradientVarianceDraws = 100

    public init() {}
}

extension TrainingSettings {
    enum CodingKeys: String, CodingKey {
        case hiddenSizes, architecture, latentSize, likelihood, binarize, mcSamples, beta, klWarmupEpochs, learningRate
        case batchSize, epochs, seed, checkpointEvery, keepCheckpoints, shuffleWindow, iwaeSamples, iwaeExamples
        case estimator, gradientVarianceEvery, gradientVarianceDraws, conditional, steps, klWarmupSteps, augment
        case objective, prior
    }

    /// Every field required, but those added later, which decode to their defaults when absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingSettings()
        hiddenSizes = try c.decode([Int].self, forKey: .hiddenSizes)
        architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? defaults.architecture
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        likelihood = try c.decode(Likelihood.self, forKey: .likelihood)
        binarize = try c.decode(Binarization.self, forKey: .binarize)
        mcSamples = try c.decode(Int.self, forKey: .mcSamples)
        beta = try c.decode(Double.self, forKey: .beta)
        klWarmupEpochs = try c.decode(Int.self, forKey: .klWarmupEpochs)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        epochs = try c.decode(Int.self, forKey: .epochs)
        seed = try c.decode(UInt64.self, forKey: .seed)
        checkpointEvery = try c.decode(Int.self, forKey: .checkpointEvery)
        keepCheckpoints = try c.decode(Int.self, forKey: .keepCheckpoints)
        shuffleWindow = try c.decode(Int.self, forKey: .shuffleWindow)
        iwaeSamples = try c.decode(Int.self, forKey: .iwaeSamples)
        iwaeExamples = try c.decode(Int.self, forKey: .iwaeExamples)
        estimator = try c.decodeIfPresent(GradientEstimator.self, forKey: .estimator) ?? defaults.estimator
        gradientVarianceEvery = try c.decodeIfPresent(Int.self, forKey: .gradientVarianceEvery) ?? defaults.gradientVarianceEvery
        gradientVarianceDraws = try c.decodeIfPresent(Int.self, forKey: .gradientVarianceDraws) ?? defaults.gradientVarianceDraws
        conditional = try c.decodeIfPresent(Bool.self, forKey: .conditional) ?? defaults.conditional
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? defaults.steps
        klWarmupSteps = try c.decodeIfPresent(Int.self, forKey: .klWarmupSteps) ?? defaults.klWarmupSteps
        augment = try c.decodeIfPresent(Augmentation.self, forKey: .augment) ?? defaults.augment
        objective = try c.decodeIfPresent(TrainingObjective.self, forKey: .objective) ?? defaults.objective
        prior = try c.decodeIfPresent(Prior.self, forKey: .prior) ?? defaults.prior
    }

    /// Every field, but those added later only where they differ from their defaults.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingSettings()
        try c.encode(hiddenSizes, forKey: .hiddenSizes)
        if architecture != defaults.architecture { try c.encode(architecture, forKey: .architecture) }
        try c.encode(latentSize, forKey: .latentSize)
        try c.encode(likelihood, forKey: .likelihood)
        try c.encode(binarize, forKey: .binarize)
        try c.encode(mcSamples, forKey: .mcSamples)
        try c.encode(beta, forKey: .beta)
        try c.encode(klWarmupEpochs, forKey: .klWarmupEpochs)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(seed, forKey: .seed)
        try c.encode(checkpointEvery, forKey: .checkpointEvery)
        try c.encode(keepCheckpoints, forKey: .keepCheckpoints)
        try c.encode(shuffleWindow, forKey: .shuffleWindow)
        try c.encode(iwaeSamples, forKey: .iwaeSamples)
        try c.encode(iwaeExamples, forKey: .iwaeExamples)
        if estimator != defaults.estimator { try c.encode(estimator, forKey: .estimator) }
        if gradientVarianceEvery != defaults.gradientVarianceEvery { try c.encode(gradientVarianceEvery, forKey: .gradientVarianceEvery) }
        if gradientVarianceDraws != defaults.gradientVarianceDraws { try c.encode(gradientVarianceDraws, forKey: .gradientVarianceDraws) }
        if conditional != defaults.conditional { try c.encode(conditional, forKey: .conditional) }
        if steps != defaults.steps { try c.encode(steps, forKey: .steps) }
        if klWarmupSteps != defaults.klWarmupSteps { try c.encode(klWarmupSteps, forKey: .klWarmupSteps) }
        if augment != defaults.augment { try c.encode(augment, forKey: .augment) }
        if objective != defaults.objective { try c.encode(objective, forKey: .objective) }
        if prior != defaults.prior { try c.encode(prior, forKey: .prior) }
    }
}
