// The limits a checkpoint's header is checked against before the model it describes is laid out
// or allocated: a header with a recomputed checksum can still claim 2^40 samples per example or a
// batch of 2^40. These are the run's (the settings, threads and processes); the model's own are
// VAEModel's `ModelConfig.checkLimits` (ModelConfig+Limits.swift). A count past them is bad input,
// reported as an error naming the field. docs/FORMATS.md ("Limits") lists them.
import VAEModel

extension TrainingSettings {
    /// Largest batch (examples per step): the model's workspace is sized by it.
    public static let maxBatchSize = 1 << 20
    /// Most samples of z per example: the workspace is sized by it too.
    public static let maxMCSamples = 1 << 12
    /// Most draws per gradient-variance measurement.
    public static let maxGradientVarianceDraws = 1 << 16
    /// The largest step budget (`--steps`).
    public static let maxSteps = Int(Int32.max)

    /// Throws a `ModelError` naming the first setting outside its range.
    public func checkLimits() throws(ModelError) {
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("batch size", batchSize, 1...Self.maxBatchSize), ("samples per example", mcSamples, 1...Self.maxMCSamples),
            ("epochs", epochs, 0...Int(Int32.max)), ("KL warm-up epochs", klWarmupEpochs, 0...Int(Int32.max)),
            ("checkpoint interval", checkpointEvery, 0...Int(Int32.max)), ("checkpoints kept", keepCheckpoints, 0...Int(Int32.max)),
            ("shuffle window", shuffleWindow, 1...Int(Int32.max)),
            ("importance samples", iwaeSamples, 0...Int(Int32.max)), ("importance-weighted examples", iwaeExamples, 0...Int(Int32.max)),
            ("gradient variance interval", gradientVarianceEvery, 0...Int(Int32.max)),
            ("gradient variance draws", gradientVarianceDraws, 2...Self.maxGradientVarianceDraws),
            ("steps", steps, 0...Self.maxSteps), ("KL warm-up steps", klWarmupSteps, 0...Int(Int32.max)),
            ("augmentation shift", augment.shift, 0...Augmentation.maxShift),
        ]
        for (name, value, range) in ranges where !range.contains(value) {
            throw ModelError(.invalidArgument, "invalid training settings: \(name) is \(value), must be \(range.lowerBound) to \(range.upperBound)")
        }
    }
}

extension Checkpoint {
    /// Most training threads a checkpoint may record.
    public static let maxThreads = 4096
    /// Most processes (mpirun -np N) a checkpoint may record.
    public static let maxRanks = 65_536
}
