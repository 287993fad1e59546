// The test split's figures: the negative ELBO after each epoch, and at the end of the run the
// importance-weighted bound on -log p(x). Each has a generator of its own, derived from the seed,
// so evaluating never changes training, and an evaluation that was interrupted gives the same
// figure when it is run again. Both poll the stop flag between batches (the bound also between
// blocks of samples), so a stop request ends them within a fraction of a second.
//
// B = batch size, D = inputs per example.
import VAECore
import VAEShards
import VAEModel

struct Evaluation {
    let dataset: ShardDataset
    let settings: TrainingSettings
    /// D.
    let inputSize: Int
    let stop: StopFlag

    /// The test split's loss with one sample per example (beta 1: the negative ELBO) after
    /// epoch `epoch` (0-based); nil when the test split holds no examples. Throws `Interrupted`
    /// on a stop request.
    func testLoss(model: VAE, epoch: Int) throws -> LossParts? {
        var rng = SeededRandom.derived(seed: settings.seed, stream: Streams.evaluation, epoch: UInt64(epoch))
        var sums = PassSums(), count = 0
        try forEachTestBatch(model: model, limit: nil) { batch, labels, n in
            let part = model.evaluationSums(batch: batch, count: n, rng: &rng, labels: labels)
            sums.reconstruction += part.reconstruction
            sums.kl += part.kl
            count += n
        }
        guard count > 0 else { return nil }
        return sums.parts(examples: count, beta: 1)
    }

    /// -(the importance-weighted bound) with K = `iwaeSamples` on the first N = `iwaeExamples`
    /// test examples, averaged over them; nil when the settings ask for none or the test split
    /// holds no examples. Throws `Interrupted` on a stop request.
    func importanceWeightedNLL(model: VAE) throws -> Double? {
        guard settings.iwaeSamples > 0, dataset.count(.test) > 0 else { return nil }
        var rng = SeededRandom.derived(seed: settings.seed, stream: Streams.iwae, epoch: 0)
        var sum = 0.0
        try forEachTestBatch(model: model, limit: settings.iwaeExamples) { batch, labels, n in
            let bounds = model.importanceWeightedBound(batch: batch, count: n, samples: settings.iwaeSamples,
                                                       rng: &rng, stop: stop, labels: labels)
            try stop.check()  // the bounds of an interrupted batch are incomplete
            sum += bounds.reduce(0, +)
        }
        return -sum / Double(settings.iwaeExamples)
    }

    /// Calls `body` with the test split in manifest order, in batches of T times the model's
    /// inference batch (T its threads: it shares the batch's pieces among them), with their labels
    /// for a conditional model, else nil, checking the stop flag before each. A batch never spans
    /// two shards and starts a multiple of the inference batch into its shard: the pieces, and so
    /// the bits, are those of one thread.
    private func forEachTestBatch(model: VAE, limit: Int?,
                                  _ body: (UnsafePointer<Float>, UnsafePointer<UInt16>?, Int) throws -> Void) throws {
        let d = inputSize
        let b = model.inferenceBatch * model.threads
        let batch = UnsafeMutablePointer<Float>.allocate(capacity: b * d)  // (B, D)
        defer { batch.deallocate() }
        var remaining = limit ?? dataset.count(.test)
        let stream = dataset.stream(.test)
        while remaining > 0, let block = try stream.next() {
            var offset = 0
            while offset < block.count && remaining > 0 {
                try stop.check()
                let n = min(b, block.count - offset, remaining)
                block.pixels.withUnsafeBufferPointer { pixels in
                    Intensity.convert(pixels.baseAddress! + offset * d, into: batch, count: n * d)
                }
                try block.labels.withUnsafeBufferPointer { labels in
                    try body(batch, settings.conditional ? labels.baseAddress! + offset : nil, n)
                }
                offset += n
                remaining -= n
            }
        }
    }
}
