// The vae-embed command: the latent code of every example of a shard artifact under a trained
// model, as CSV. Parses the options, then hands the work to VAEVisual's `Embedding`; nothing is
// written unless the checkpoint and the data are readable and fit together, and the output file
// appears only once it is complete. A library so that tests parse command lines in process; the
// executable only calls `main()`.
import ArgumentParser
import Foundation
import CommandSupport
import VAECluster
import VAECore
import VAEShards
import VAEVisual

public struct EmbedCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vae-embed",
        abstract: "Write the latent codes of a shard artifact's examples as CSV.",
        discussion: """
            One row per example: index (within its split), split, label (the label's name, empty \
            for unlabelled data), mu_1 ... mu_Z, then logvar_1 ... logvar_Z with --with-logvar, then \
            z1_1 ... zN_Z with --samples N. RFC 4180 CSV with CRLF line ends; each Float is printed in \
            the shortest form that reads back to the same value. See docs/EMBED_AND_GENERATE.md.
            """,
        version: PipelineVersion.current)

    @Option(help: "The trained model: a checkpoint written by vae-train.")
    var checkpoint: String

    @Option(help: "The shard artifact (a vae-ingest output directory) to embed.")
    var data: String

    @Option(help: "The CSV file to write, or '-' for standard output.")
    var out: String

    @Option(help: "The examples to embed: train, test or all (train rows first).")
    var split: SplitSelection = .all

    @Flag(help: "Also write the encoder's log-variances logvar_1 ... logvar_Z.")
    var withLogvar = false

    @Option(help: "Write N reparameterized draws z = mu + exp(logvar/2)·eps per example (0 to \(Embedding.maxSamples)).")
    var samples = 0

    @Option(help: "The seed of the draws of --samples.")
    var seed: UInt64 = 1

    @Option(help: "Examples per pass through the encoder (the bits of a code depend on it).")
    var batchSize = 1024

    @Option(help: "Threads the passes are shared among (the bits do not depend on them; default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    public func validate() throws {
        guard (0...Embedding.maxSamples).contains(samples) else {
            throw ValidationError("--samples must be between 0 and \(Embedding.maxSamples), got \(samples)")
        }
        guard (1...65_536).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 65536, got \(batchSize)")
        }
        guard (1...1024).contains(threads) else {
            throw ValidationError("--threads must be between 1 and 1024, got \(threads)")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a file, or '-' for standard output") }
    }

    public func run() throws {
        try reportingErrors("vae-embed", collectiveErrors: true) { cluster in
            let trained = try TrainedModel(checkpoint: checkpoint, batchCapacity: batchSize, threads: threads)
            let dataset = try ShardDataset(directory: data)
            try Embedding.checkCompatible(trained.model.config, checkpoint: checkpoint, with: dataset)
            let options = EmbeddingOptions(splits: split.splits, withLogVariance: withLogvar, samples: samples,
                                           seed: seed)
            // Under mpirun every rank encodes its share of the shards; rank 0 alone writes.
            let output = cluster.isRoot ? try AtomicOutput(path: out) : nil
            do {
                try Embedding.write(model: trained.model, checkpoint: checkpoint, dataset: dataset, options: options,
                                    to: output, cluster: cluster)
                try output?.commit()
            } catch {
                output?.abandon()
                throw error
            }
        }
    }
}

extension SplitSelection: ExpressibleByArgument {}
