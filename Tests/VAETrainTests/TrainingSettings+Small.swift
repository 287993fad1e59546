// The small settings the trainer's tests start from: an MLP of one hidden layer of 16 and a
// latent of 3, trained in batches of 16 at a learning rate of 3e-3, for 12x12 synthetic shapes.
@testable import VAETrain

extension TrainingSettings {
    /// Hidden [16], latent 3, batch 16, learning rate 3e-3, `epochs` epochs, a checkpoint every 5 steps.
    static func small(epochs: Int) -> TrainingSettings {
        var s = TrainingSettings()
        s.hiddenSizes = [16]
        s.latentSize = 3
        s.batchSize = 16
        s.epochs = epochs
        s.learningRate = 3e-3
        s.checkpointEvery = 5
        return s
    }
}
