// The test split's figures: the negative ELBO after each epoch (and the IWAE objective's value,
// for a run trained on it), and at the end of the run the
// importance-weighted bound on -log p(x) and the figures of posterior collapse (active units,
// PSNR). Each that draws has a generator of its own, derived from the seed, so evaluating never
// changes training, and an evaluation that was interrupted gives the same figure when it is run
// again. All poll the stop flag between batches (the bound also between blocks of samples, the
// mean image between shards), so a stop request ends them within a fraction of a second.
//
// B = batch size, D = inputs per example, Z = latent size.
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
        try forEachBatch(.test, model: model, limit: nil) { batch, labels, n in
            let part = model.evaluationSums(batch: batch, count: n, rng: &rng, labels: labels)
            sums.reconstruction += part.reconstruction
            sums.kl += part.kl
            count += n
        }
        guard count > 0 else { return nil }
        return sums.parts(examples: count, beta: 1)
    }

    /// The test split's value of the training objective where it is not the ELBO: -(the
    /// importance-weighted bound) with the K = `mcSamples` samples of `--objective iwae`, over
    /// every test example, after epoch `epoch`; nil for the ELBO or without test examples.
    /// Throws `Interrupted` on a stop request.
    func testObjective(model: VAE, epoch: Int) throws -> Double? {
        guard settings.objective == .iwae, dataset.count(.test) > 0 else { return nil }
        var rng = SeededRandom.derived(seed: settings.seed, stream: Streams.testObjective, epoch: UInt64(epoch))
        var sum = 0.0
        try forEachBatch(.test, model: model, limit: nil) { batch, labels, n in
            let bounds = model.importanceWeightedBound(batch: batch, count: n, samples: settings.mcSamples,
                                                       rng: &rng, stop: stop, labels: labels)
            try stop.check()
            sum += bounds.reduce(0, +)
        }
        return -sum / Double(dataset.count(.test))
    }

    /// -(the importance-weighted bound) with K = `iwaeSamples` on the first N = `iwaeExamples`
    /// test examples, averaged over them; nil when the settings ask for none or the test split
    /// holds no examples. Throws `Interrupted` on a stop request.
    func importanceWeightedNLL(model: VAE) throws -> Double? {
        guard settings.iwaeSamples > 0, dataset.count(.test) > 0 else { return nil }
        var rng = SeededRandom.derived(seed: settings.seed, stream: Streams.iwae, epoch: 0)
        var sum = 0.0
        try forEachBatch(.test, model: model, limit: settings.iwaeExamples) { batch, labels, n in
            let bounds = model.importanceWeightedBound(batch: batch, count: n, samples: settings.iwaeSamples,
                                                       rng: &rng, stop: stop, labels: labels)
            try stop.check()  // the bounds of an interrupted batch are incomplete
            sum += bounds.reduce(0, +)
        }
        return -sum / Double(settings.iwaeExamples)
    }

    /// The figures of posterior collapse (`CollapseFigures`): the test split through the encoder
    /// and the decoder at mu, against the training split's mean image (one pass over the train
    /// split first); without test examples, the train split through the encoder for the active
    /// units alone. Every sum is in Double, in example order, and nothing is drawn: the bits do
    /// not depend on the threads, and a pass that was interrupted gives the same figures when it is
    /// run again. Throws `Interrupted` on a stop request.
    func collapseFigures(model: VAE) throws -> CollapseFigures {
        let d = inputSize, zs = model.config.latentSize
        let split: Split = dataset.count(.test) > 0 ? .test : .train
        let meanImage = split == .test ? try trainMeanImage() : []  // (D)
        let b = model.inferenceBatch * model.threads
        let mu = UnsafeMutablePointer<Float>.allocate(capacity: b * zs)  // (B, Z)
        defer { mu.deallocate() }
        // The decoder's means (B, D) for the test split; the encoder's log-variance (B, Z), unused, for the train split.
        let outputs = UnsafeMutablePointer<Float>.allocate(capacity: b * (split == .test ? d : zs))
        defer { outputs.deallocate() }
        var variance = ColumnVariance(columns: zs)
        var reconstructionError = 0.0, meanImageError = 0.0
        try forEachBatch(split, model: model, limit: nil) { x, labels, n in
            if split == .test {
                model.reconstruct(batch: x, count: n, mu: mu, means: outputs, labels: labels)
                for i in 0 ..< n {
                    let row = i * d
                    for j in 0 ..< d {
                        let pixel = Double(x[row + j])
                        let r = Double(outputs[row + j]) - pixel, m = meanImage[j] - pixel
                        reconstructionError += r * r
                        meanImageError += m * m
                    }
                }
            } else {
                model.encode(batch: x, count: n, mu: mu, logvar: outputs, labels: labels)
            }
            for i in 0 ..< n { variance.add(mu + i * zs) }
        }
        let values = dataset.count(.test) * d
        return CollapseFigures(
            activeUnits: variance.variances.filter { $0 > CollapseFigures.activeVariance }.count, split: split, latentSize: zs,
            reconstructionPSNR: split == .test ? CollapseFigures.psnr(squaredError: reconstructionError, values: values) : nil,
            meanImagePSNR: split == .test ? CollapseFigures.psnr(squaredError: meanImageError, values: values) : nil)
    }

    /// The training split's mean image, (D) intensities: each pixel's bytes summed in integers
    /// (exactly, in any order), then divided by 255 N. Checks the stop flag before each shard.
    private func trainMeanImage() throws -> [Double] {
        let d = inputSize
        var sums = [UInt64](repeating: 0, count: d)  // (D)
        let stream = dataset.stream(.train)
        while let block = try stream.next() {
            try stop.check()
            sums.withUnsafeMutableBufferPointer { sums in
                block.pixels.withUnsafeBufferPointer { pixels in
                    for n in 0 ..< block.count {
                        let image = pixels.baseAddress! + n * d
                        for j in 0 ..< d { sums[j] += UInt64(image[j]) }
                    }
                }
            }
        }
        let scale = 255 * Double(dataset.count(.train))
        return sums.map { Double($0) / scale }
    }

    /// Calls `body` with `split` in manifest order, in batches of T times the model's
    /// inference batch (T its threads: it shares the batch's pieces among them), with their labels
    /// for a conditional model, else nil, checking the stop flag before each. A batch never spans
    /// two shards and starts a multiple of the inference batch into its shard: the pieces, and so
    /// the bits, are those of one thread.
    private func forEachBatch(_ split: Split, model: VAE, limit: Int?,
                              _ body: (UnsafePointer<Float>, UnsafePointer<UInt16>?, Int) throws -> Void) throws {
        let d = inputSize
        let b = model.inferenceBatch * model.threads
        let batch = UnsafeMutablePointer<Float>.allocate(capacity: b * d)  // (B, D)
        defer { batch.deallocate() }
        var remaining = limit ?? dataset.count(split)
        let stream = dataset.stream(split)
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
