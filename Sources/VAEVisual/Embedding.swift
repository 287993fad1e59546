// Latent codes as CSV: every example of the chosen splits through the encoder, in batches, one
// CSV row each, streamed to the output so that memory stays bounded whatever the dataset's size
// (at most the shard stream's lookahead, one batch of inputs and codes per thread, and the
// output buffer).
//
// B = batch, T = the model's threads, D = input size (pixels), Z = latent size, N = samples per
// example.
import Foundation
import VAECore
import VAEShards
import VAEModel

/// Which examples `vae-embed` writes.
public enum SplitSelection: String, CaseIterable, Sendable {
    case train, test, all

    /// The splits in the order their rows are written: train before test.
    public var splits: [Split] {
        switch self {
        case .train: [.train]
        case .test: [.test]
        case .all: [.train, .test]
        }
    }
}

/// What goes into each row of the latent CSV.
public struct EmbeddingOptions: Sendable {
    /// The splits written, in order.
    public var splits: [Split]
    /// Also write logvar_1 ... logvar_Z.
    public var withLogVariance: Bool
    /// N reparameterized draws z = mu + exp(logvar / 2) · eps written after the codes.
    public var samples: Int
    /// The seed of the draws.
    public var seed: UInt64

    public init(splits: [Split] = [.train, .test], withLogVariance: Bool = false, samples: Int = 0,
                seed: UInt64 = 1) {
        self.splits = splits
        self.withLogVariance = withLogVariance
        self.samples = samples
        self.seed = seed
    }
}

public enum Embedding {
    /// The largest `--samples`.
    public static let maxSamples = 1000

    /// The header of the CSV:
    ///
    /// ```
    /// index,split,label,mu_1,...,mu_Z[,logvar_1,...,logvar_Z][,z1_1,...,z1_Z,z2_1,...,zN_Z]
    /// ```
    public static func columns(latent zs: Int, withLogVariance: Bool, samples n: Int) -> [String] {
        var names = ["index", "split", "label"]
        names += (1...zs).map { "mu_\($0)" }
        if withLogVariance { names += (1...zs).map { "logvar_\($0)" } }
        for s in 0..<n { names += (1...zs).map { "z\(s + 1)_\($0)" } }
        return names
    }

    /// Throws unless the model takes images of the data's size.
    public static func checkCompatible(_ config: ModelConfig, checkpoint: String, with dataset: ShardDataset) throws(VisualError) {
        let shape = dataset.shape
        guard config.inputSize == shape.pixels else {
            throw VisualError("the checkpoint \(checkpoint) takes inputs of \(config.inputSize) pixels, "
                + "but the images of \(dataset.directory) are \(shape.width)x\(shape.height) = \(shape.pixels) pixels")
        }
    }

    /// The generator of example `index`'s draws: independent of the batch size and of which
    /// splits are written, so a row is the same in `--split test` and `--split all`.
    ///
    /// ```
    /// rng = SeededRandom.derived(seed: seed, stream: 0 for train / 1 for test, epoch: index)
    /// eps = rng.fillNormals(N·Z)      sample-major: eps[s·Z + j]
    /// ```
    public static func sampleGenerator(seed: UInt64, split: Split, index: Int) -> SeededRandom {
        SeededRandom.derived(seed: seed, stream: split == .train ? 0 : 1, epoch: UInt64(index))
    }

    /// Writes the header and one row per example of `options.splits` to `out`.
    ///
    /// Rows follow the splits' order (train, then test) and, within a split, the index. The
    /// label column holds the label's name from the manifest, empty for unlabelled data.
    /// - Returns: the number of rows written (not counting the header).
    /// - Throws: `VisualError` for a model that does not fit the data or a value that is not
    ///   finite (naming the example and column); `DataError` for a bad shard or a failed write.
    @discardableResult
    public static func write(model: VAE, checkpoint: String, dataset: ShardDataset, options: EmbeddingOptions,
                             to out: AtomicOutput) throws -> Int {
        let rows = try EmbeddingRows(model: model, checkpoint: checkpoint, dataset: dataset, options: options)
        var csv = CSVBuffer(capacity: 1 << 20)
        rows.header(into: &csv)
        var count = 0
        for split in options.splits {
            let stream = dataset.stream(split)
            var index = 0
            while let block = try stream.next() {
                try rows.append(block, split: split, firstIndex: index, to: &csv)
                index += block.count
                count += block.count
                if csv.bytes.count >= 1 << 20 {
                    try out.write(csv.bytes)
                    csv.removeAll()
                }
            }
        }
        try out.write(csv.bytes)
        return count
    }

    static func append(_ values: ArraySlice<Float>, name: String, split: Split, index: Int,
                       to csv: inout CSVBuffer) throws(VisualError) {
        for (j, v) in values.enumerated() where !csv.float(v) {
            throw nonFinite(v, column: "\(name)_\(j + 1)", split: split, index: index)
        }
    }

    static func nonFinite(_ value: Float, column: String, split: Split, index: Int) -> VisualError {
        VisualError("\(column) of \(split.rawValue) example \(index) is \(value), not a finite number: "
            + "the checkpoint is broken (or, for a draw, its log-variance too large); nothing was written")
    }
}

/// The rows of one shard block at a time: its examples through the encoder in batches of the
/// model's `inferenceBatch` (B), T batches a call (the model shares them among its threads), one CSV
/// record each. A batch never spans two shards and starts a multiple of B examples into its
/// shard, so a row's bytes do not depend on which shards were encoded before it, by which
/// process, or on how many threads.
final class EmbeddingRows {
    private let model: VAE
    private let options: EmbeddingOptions
    /// Z, D, and T·B: the examples of one call of the encoder.
    private let zs: Int, d: Int, batch: Int
    private let columns: [String]
    /// The label field of each label value, encoded once.
    private let labelFields: [[UInt8]]
    private var x: [Float]       // (T·B, D)
    private var mu: [Float]      // (T·B, Z)
    private var logvar: [Float]  // (T·B, Z)
    private var eps: [Float]     // (N, Z)

    init(model: VAE, checkpoint: String, dataset: ShardDataset, options: EmbeddingOptions) throws {
        try Embedding.checkCompatible(model.config, checkpoint: checkpoint, with: dataset)
        guard (0...Embedding.maxSamples).contains(options.samples) else {
            throw VisualError("--samples must be between 0 and \(Embedding.maxSamples), got \(options.samples)")
        }
        self.model = model
        self.options = options
        zs = model.config.latentSize
        d = model.config.inputSize
        batch = model.inferenceBatch * model.threads
        columns = Embedding.columns(latent: zs, withLogVariance: options.withLogVariance, samples: options.samples)
        let labelNames = dataset.manifest.labelNames ?? []
        // A conditional model encodes each example with its label: the data must have its classes.
        if model.config.isConditional && labelNames != model.config.classNames {
            throw VisualError("\(dataset.directory): the model is conditional on the classes \(model.config.classNames), these shards have \(labelNames.isEmpty ? "no labels" : "the classes \(labelNames)")")
        }
        labelFields = labelNames.map { name in
            var bytes = [UInt8]()
            CSV.appendField(name, to: &bytes)
            return bytes
        }
        x = [Float](repeating: 0, count: batch * d)
        mu = [Float](repeating: 0, count: batch * zs)
        logvar = [Float](repeating: 0, count: batch * zs)
        eps = [Float](repeating: 0, count: max(1, options.samples * zs))
    }

    /// The header record.
    func header(into csv: inout CSVBuffer) {
        for name in columns { csv.text(name) }
        csv.endRecord()
    }

    /// The records of `block`, whose first example has index `firstIndex` in `split`.
    func append(_ block: ShardBlock, split: Split, firstIndex index: Int, to csv: inout CSVBuffer) throws {
        let n = options.samples
        var start = 0
        while start < block.count {
            let b = min(batch, block.count - start)
            block.pixels.withUnsafeBufferPointer { pixels in
                x.withUnsafeMutableBufferPointer {
                    Intensity.convert(pixels.baseAddress! + start * d, into: $0.baseAddress!, count: b * d)
                }
            }
            if model.config.isConditional {
                // q(z|x,y): each example with its own label (the data's classes are the model's, checked in init).
                block.labels.withUnsafeBufferPointer { model.encode(batch: x, count: b, mu: &mu, logvar: &logvar, labels: $0.baseAddress! + start) }
            } else {
                model.encode(batch: x, count: b, mu: &mu, logvar: &logvar)
            }
            for i in 0..<b {
                let example = index + start + i
                csv.integer(example)
                csv.text(split.rawValue)
                let label = block.labels[start + i]
                csv.raw(label == Shard.unlabelled || Int(label) >= labelFields.count ? [] : labelFields[Int(label)])
                let m = i * zs
                try Embedding.append(mu[m..<m + zs], name: "mu", split: split, index: example, to: &csv)
                if options.withLogVariance {
                    try Embedding.append(logvar[m..<m + zs], name: "logvar", split: split, index: example, to: &csv)
                }
                if n > 0 {
                    var rng = Embedding.sampleGenerator(seed: options.seed, split: split, index: example)
                    eps.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: n * zs) }
                    for s in 0..<n {
                        for j in 0..<zs {
                            let z = mu[m + j] + Foundation.exp(0.5 * logvar[m + j]) * eps[s * zs + j]
                            guard csv.float(z) else {
                                throw Embedding.nonFinite(z, column: "z\(s + 1)_\(j + 1)", split: split, index: example)
                            }
                        }
                    }
                }
                csv.endRecord()
            }
            start += b
        }
    }
}
