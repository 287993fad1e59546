// Where the training loop is, at a step boundary (epoch, position in the epoch, generator, the
// epoch's running loss sums): what a checkpoint carries besides the model, Adam and the settings
// (TrainingSettings.swift).
import VAEModel

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
