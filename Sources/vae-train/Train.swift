// vae-train: trains a VAE on the shards vae-ingest wrote and writes a run directory with
// checkpoints, metrics and the final model.
import ArgumentParser
import CommandSupport
import Foundation
import VAEData
import VAEModel
import VAETrain

@main
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae-train",
        abstract: "Train a variational autoencoder (Kingma & Welling) on shards written by vae-ingest.",
        discussion: "A new run: vae-train --data SHARDS --out RUN_DIR [options]. Continue a stopped or killed run: vae-train --resume RUN_DIR.",
        version: PipelineVersion.current)

    @Option(help: "The shard artifact to train on (vae-ingest's output).")
    var data: String?

    @Option(help: "The run directory to write.")
    var out: String?

    @Option(help: ArgumentHelp("Continue the run in this directory from its newest valid checkpoint.", valueName: "run-dir"))
    var resume: String?

    @Flag(help: "Start a new run even if --out already holds one (its checkpoints are deleted).")
    var force = false

    @Option(help: "Hidden layer widths, input side first, e.g. 400 or 512,256 (default 400).")
    var hidden: String?

    @Option(help: "The encoder and decoder: mlp (hidden layers) or conv (convolutions) (default mlp).")
    var arch: ArchitectureName?

    @Option(help: "With --arch conv: each convolution's channels, input side first (default 32,64).")
    var channels: String?

    @Option(help: "Latent dimensions (default 20).")
    var latent: Int?

    @Option(help: "The decoder's likelihood: bernoulli or gaussian (default bernoulli).")
    var likelihood: String?

    @Option(help: "A fixed standard deviation for the gaussian likelihood (default: a learned per-pixel variance).")
    var sigma: Float?

    @Option(help: "none, or dynamic: a fresh Bernoulli sample of each image whenever it is seen (default none).")
    var binarize: String?

    @Option(help: "Monte Carlo samples of z per example, L (default 1).")
    var mcSamples: Int?

    @Option(help: "Weight of the KL term (default 1).")
    var beta: Double?

    @Option(help: ArgumentHelp("Ramp beta up from 0 over this many epochs (default 0: no warm-up).", valueName: "epochs"))
    var klWarmup: Int?

    @Option(help: "Adam's learning rate (default 0.001).")
    var lr: Double?

    @Option(help: "Examples per step (default 128).")
    var batchSize: Int?

    @Option(help: "Passes over the training data (default 10).")
    var epochs: Int?

    @Option(help: "Seed of every random draw: initialization, shuffling, eps, binarization (default 1).")
    var seed: UInt64?

    @Option(help: "Write a checkpoint every this many steps, besides each epoch's end; 0 for epoch ends only (default 200).")
    var checkpointEvery: Int?

    @Option(help: "Checkpoints kept in RUN_DIR/checkpoints (default 3).")
    var keepCheckpoints: Int?

    @Option(help: "Shards whose examples are shuffled together (default 4).")
    var shuffleWindow: Int?

    @Option(name: .customLong("iwae-k"), help: "At the end, the importance-weighted bound with K samples per example (needs --iwae-n).")
    var iwaeK: Int?

    @Option(name: .customLong("iwae-n"), help: "How many test examples (the first N) the importance-weighted bound covers (needs --iwae-k).")
    var iwaeN: Int?

    @Option(help: "Threads for the matrix products; results are bit-identical for the same count (default: all cores).")
    var threads: Int?

    @Option(help: .hidden)
    var stopAfterStep: Int?

    @Flag(help: "No progress bar or per-epoch lines.")
    var quiet = false

    /// The settings given on the command line over the defaults; nil when none was given.
    private func givenOptions() throws -> TrainingOptions? {
        var o = TrainingOptions()
        var any = false
        func set<T>(_ value: T?, _ apply: (T) throws -> Void) rethrows {
            if let value { try apply(value); any = true }
        }
        try set(hidden) { o.hiddenSizes = try Self.sizes($0, option: "--hidden", example: "400 or 512,256") }
        if arch == .conv {
            o.architecture = .conv(channels: try channels.map { try Self.sizes($0, option: "--channels", example: "32,64") } ?? [32, 64])
            any = true
        } else if arch == .mlp {
            o.architecture = .mlp
            any = true
        }
        if channels != nil && arch != .conv { throw ValidationError("--channels goes with --arch conv") }
        if hidden != nil && arch == .conv { throw ValidationError("--hidden goes with --arch mlp") }
        set(latent) { o.latentSize = $0 }
        try set(likelihood) { name in
            switch name {
            case "bernoulli": o.likelihood = .bernoulli
            case "gaussian": o.likelihood = sigma.map { .gaussianFixed(sigma: $0) } ?? .gaussianLearned
            default: throw ValidationError("--likelihood is bernoulli or gaussian, got '\(name)'")
            }
        }
        if sigma != nil && likelihood != "gaussian" { throw ValidationError("--sigma goes with --likelihood gaussian") }
        try set(binarize) { name in
            guard let value = Binarization(rawValue: name) else {
                throw ValidationError("--binarize is none or dynamic, got '\(name)'")
            }
            o.binarize = value
        }
        set(mcSamples) { o.mcSamples = $0 }
        set(beta) { o.beta = $0 }
        set(klWarmup) { o.klWarmupEpochs = $0 }
        set(lr) { o.learningRate = $0 }
        set(batchSize) { o.batchSize = $0 }
        set(epochs) { o.epochs = $0 }
        set(seed) { o.seed = $0 }
        set(checkpointEvery) { o.checkpointEvery = $0 }
        set(keepCheckpoints) { o.keepCheckpoints = $0 }
        set(shuffleWindow) { o.shuffleWindow = $0 }
        set(iwaeK) { o.iwaeSamples = $0 }
        set(iwaeN) { o.iwaeExamples = $0 }
        return any ? o : nil
    }

    func validate() throws {
        if resume == nil {
            guard data != nil else { throw ValidationError("give --data SHARDS (or --resume RUN_DIR)") }
            guard out != nil else { throw ValidationError("give --out RUN_DIR (or --resume RUN_DIR)") }
        } else {
            if out != nil { throw ValidationError("--resume names the run directory; leave out --out") }
            if force { throw ValidationError("--resume and --force do not go together") }
            if try givenOptions() != nil {
                throw ValidationError("--resume takes the run's settings from its config.json; give no training options")
            }
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        do {
            try (givenOptions() ?? TrainingOptions()).validate()
        } catch let error as TrainError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try reportingErrors("vae-train") {
            var request = TrainRequest(data: data, runDirectory: resume ?? out!, options: resume == nil ? try givenOptions() ?? TrainingOptions() : nil)
            request.resume = resume != nil
            request.force = force
            request.threads = threads ?? (resume == nil ? ProcessInfo.processInfo.activeProcessorCount : nil)
            request.stopAfterStep = stopAfterStep
            let stop = StopRequest()
            stop.installSignalHandlers()
            let progress = ProgressReporter(style: ProgressReporter.styleForStandardError(quiet: quiet)) {
                FileHandle.standardError.write(Data($0.utf8))
            }
            let summary = try Trainer(request, progress: progress, warn: printError, stop: stop).train()
            if !quiet {
                printOut("test negative ELBO \(summary.testNegElbo) nats (recon \(summary.testRecon), KL \(summary.testKl))"
                    + (summary.iwaeNll.map { ", IWAE -log p(x) <= \($0)" } ?? "")
                    + "; median epoch \(summary.medianEpochSeconds) s; model \(request.runDirectory)/model.ckpt")
            }
        }
    }

    /// Comma-separated integers such as 400 or 512,256 (their range is checked by validate()).
    private static func sizes(_ text: String, option: String, example: String) throws -> [Int] {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil }) else {
            throw ValidationError("\(option) takes comma-separated sizes such as \(example), got '\(text)'")
        }
        return sizes.map { $0! }
    }
}

/// The values of --arch.
enum ArchitectureName: String, ExpressibleByArgument, CaseIterable {
    case mlp, conv
}
