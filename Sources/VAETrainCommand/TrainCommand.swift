// The vae-train command: its options, the checks made before any work starts, and the run. A
// library so that tests parse command lines in process; the executable only calls `main()`.
import ArgumentParser
import CommandSupport
import Foundation
import VAECluster
import VAECore
import VAEModel
import VAETrain

/// The decoder's likelihood as the user names it (`--sigma` chooses between the two Gaussians).
public enum LikelihoodChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case bernoulli
    case gaussian
}

extension Binarization: ExpressibleByArgument {}

extension GradientEstimator: ExpressibleByArgument {}

extension TrainingObjective: ExpressibleByArgument {}

/// The prior as the user names it (`--pseudo-inputs` sizes the VampPrior).
public enum PriorChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case standard
    case vamp
}

/// The encoder and decoder family as the user names it (`--channels` sizes the convolutions).
public enum ArchitectureChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case mlp
    case conv
}

/// Layer sizes, input side first: hidden widths "400" or "512,256", or convolution channels "32,64".
public struct HiddenSizes: ExpressibleByArgument, Equatable, Sendable {
    public var widths: [Int]

    public init?(argument: String) {
        let widths = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ $0 != nil }) else { return nil }
        self.widths = widths.map { $0! }
    }
}

/// A KL warm-up: a count in the budget's unit (epochs with --epochs, steps with --steps), or a
/// percentage of the budget ("20%").
public enum KLWarmup: ExpressibleByArgument, Equatable, Sendable {
    case count(Int)
    case percent(Double)

    public init?(argument: String) {
        if argument.hasSuffix("%") {
            guard let p = Double(argument.dropLast()), (0...100).contains(p) else { return nil }
            self = .percent(p)
        } else {
            guard let n = Int(argument) else { return nil }
            self = .count(n)
        }
    }

    /// The warm-up in the budget's unit, for a budget of `budget` epochs or steps.
    public func length(budget: Int) -> Int {
        switch self {
        case .count(let n): n
        case .percent(let p): Int((p / 100 * Double(budget)).rounded())
        }
    }
}

extension Augmentation: ExpressibleByArgument {
    public init?(argument: String) {
        guard let parsed = try? Augmentation(parsing: argument) else { return nil }
        self = parsed
    }
}

public struct TrainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vae-train",
        abstract: "Train a variational autoencoder (Kingma & Welling) on shards written by vae-ingest.",
        discussion: "A new run: vae-train --data SHARDS --out RUN_DIR [options]. Continue a stopped or killed run: vae-train --resume RUN_DIR. Ctrl-C (or SIGTERM) at any moment saves a checkpoint and exits with status 130 (143); a second Ctrl-C exits at once.",
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
    var hidden: HiddenSizes?

    @Option(help: "The encoder and decoder: mlp (hidden layers) or conv (convolutions of kernel 4, stride 2) (default mlp).")
    var arch: ArchitectureChoice?

    @Option(help: "With --arch conv: each convolution's output channels, input side first (default 32,64).")
    var channels: HiddenSizes?

    @Option(help: "Latent dimensions (default 20).")
    var latent: Int?

    @Option(help: "The decoder's likelihood (default bernoulli).")
    var likelihood: LikelihoodChoice?

    @Option(help: "A fixed standard deviation for the gaussian likelihood (default: a learned per-pixel variance).")
    var sigma: Float?

    @Option(help: "dynamic: a fresh Bernoulli sample of each image whenever it is seen (default none).")
    var binarize: Binarization?

    @Option(help: "Monte Carlo samples of z per example, L (default 1).")
    var mcSamples: Int?

    @Option(help: "What a step minimizes: elbo (the negative ELBO, --mc-samples samples) or iwae (the negative importance-weighted bound, --train-k samples) (default elbo).")
    var objective: TrainingObjective?

    @Option(name: .customLong("train-k"), help: ArgumentHelp("With --objective iwae: importance samples per example (default 5).", valueName: "K"))
    var trainK: Int?

    @Option(help: "The prior p(z): standard (N(0, I)) or vamp (the VampPrior, a mixture of the encoder's posteriors at learned pseudo-inputs) (default standard).")
    var prior: PriorChoice?

    @Option(help: ArgumentHelp("With --prior vamp: the pseudo-inputs, started from random training images (default 500).", valueName: "K"))
    var pseudoInputs: Int?

    @Option(help: "Weight of the KL term (default 1).")
    var beta: Double?

    @Option(help: ArgumentHelp("Ramp beta up from 0 over N epochs (with --epochs) or N steps (with --steps), or over P% of the budget (default 0: no warm-up).", valueName: "N|P%"))
    var klWarmup: KLWarmup?

    @Option(help: "Adam's learning rate (default 0.001).")
    var lr: Double?

    @Option(help: "Examples per step (default 128).")
    var batchSize: Int?

    @Option(help: "Passes over the training data (default 10).")
    var epochs: Int?

    @Option(help: "Train for this many optimizer steps instead of --epochs: epochs are passes over the training data as ever, the last one partial.")
    var steps: Int?

    @Option(help: ArgumentHelp("Augment each training batch: flip (mirror left-right with probability 1/2), shift:K (translate by up to K pixels, edges replicated), or flip,shift:K (default none).", valueName: "flip|shift:K|flip,shift:K"))
    var augment: Augmentation?

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

    @Option(help: "How the encoder's gradient of the reconstruction term is estimated (default reparameterization).")
    var estimator: GradientEstimator?

    @Option(help: ArgumentHelp("Every N steps and at step 1, measure the encoder gradient's variance under every estimator into RUN_DIR/gradient_variance.csv (default 0: never).", valueName: "N"))
    var gradientVarianceEvery: Int?

    @Option(help: ArgumentHelp("Draws of eps per gradient-variance measurement (default 100).", valueName: "K"))
    var gradientVarianceDraws: Int?

    @Flag(help: "A conditional VAE, q(z|x,y) and p(x|z,y), over the classes of the (labelled) shards.")
    var conditional = false

    @Option(help: "Threads: each takes a fixed slice of every batch; results are bit-identical for the same count (default: all cores).")
    var threads: Int?

    @Option(help: .hidden)
    var stopAfterStep: Int?

    @Flag(help: "No progress bar or per-epoch lines.")
    var quiet = false

    public init() {}

    /// Importance samples of `--objective iwae` when `--train-k` is not given.
    public static let defaultTrainK = 5
    /// Pseudo-inputs of `--prior vamp` when `--pseudo-inputs` is not given.
    public static let defaultPseudoInputs = 500

    /// The settings given on the command line over the defaults; nil when none was given.
    public func givenSettings() -> TrainingSettings? {
        var s = TrainingSettings()
        var any = false
        func set<T>(_ value: T?, _ apply: (T) -> Void) {
            if let value { apply(value); any = true }
        }
        set(hidden) { s.hiddenSizes = $0.widths }
        set(arch) { s.architecture = $0 == .conv ? .conv(channels: channels?.widths ?? [32, 64]) : .mlp }
        set(latent) { s.latentSize = $0 }
        set(likelihood) { choice in
            switch choice {
            case .bernoulli: s.likelihood = .bernoulli
            case .gaussian: s.likelihood = sigma.map { .gaussianFixed(sigma: $0) } ?? .gaussianLearned
            }
        }
        set(binarize) { s.binarize = $0 }
        set(mcSamples) { s.mcSamples = $0 }
        set(objective) { s.objective = $0 }
        if s.objective == .iwae { set(trainK ?? Self.defaultTrainK) { s.mcSamples = $0 } }
        set(prior) { s.prior = $0 == .vamp ? .vamp(pseudoInputs: pseudoInputs ?? Self.defaultPseudoInputs) : .standard }
        set(beta) { s.beta = $0 }
        set(lr) { s.learningRate = $0 }
        set(batchSize) { s.batchSize = $0 }
        set(epochs) { s.epochs = $0 }
        set(steps) { s.steps = $0; s.epochs = 0 }
        set(klWarmup) { warmup in
            if s.steps > 0 {
                s.klWarmupSteps = warmup.length(budget: s.steps)
            } else {
                s.klWarmupEpochs = warmup.length(budget: s.epochs)
            }
        }
        set(augment) { s.augment = $0 }
        set(seed) { s.seed = $0 }
        set(checkpointEvery) { s.checkpointEvery = $0 }
        set(keepCheckpoints) { s.keepCheckpoints = $0 }
        set(shuffleWindow) { s.shuffleWindow = $0 }
        set(iwaeK) { s.iwaeSamples = $0 }
        set(iwaeN) { s.iwaeExamples = $0 }
        set(estimator) { s.estimator = $0 }
        set(conditional ? true : nil) { s.conditional = $0 }
        set(gradientVarianceEvery) { s.gradientVarianceEvery = $0 }
        set(gradientVarianceDraws) { s.gradientVarianceDraws = $0 }
        return any ? s : nil
    }

    public func validate() throws {
        if resume == nil {
            guard data != nil else { throw ValidationError("give --data SHARDS (or --resume RUN_DIR)") }
            guard out != nil else { throw ValidationError("give --out RUN_DIR (or --resume RUN_DIR)") }
        } else {
            if out != nil { throw ValidationError("--resume names the run directory; leave out --out") }
            if force { throw ValidationError("--resume and --force do not go together") }
            if givenSettings() != nil || sigma != nil {
                throw ValidationError("--resume takes the run's settings from its config.json; give no training options")
            }
        }
        if sigma != nil && likelihood != .gaussian { throw ValidationError("--sigma goes with --likelihood gaussian") }
        if channels != nil && arch != .conv { throw ValidationError("--channels goes with --arch conv") }
        if hidden != nil && arch == .conv { throw ValidationError("--hidden goes with --arch mlp") }
        if trainK != nil && objective != .iwae { throw ValidationError("--train-k goes with --objective iwae") }
        if mcSamples != nil && objective == .iwae { throw ValidationError("--objective iwae takes its samples from --train-k, not --mc-samples") }
        if pseudoInputs != nil && prior != .vamp { throw ValidationError("--pseudo-inputs goes with --prior vamp") }
        if gradientVarianceDraws != nil && (gradientVarianceEvery ?? 0) == 0 {
            throw ValidationError("--gradient-variance-draws goes with --gradient-variance-every")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if steps != nil && epochs != nil { throw ValidationError("--steps and --epochs do not go together: give one budget") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        do {
            try (givenSettings() ?? TrainingSettings()).validate()
        } catch let error as TrainError {
            throw ValidationError(error.description)
        }
    }

    public func run() throws {
        let stop = StopFlag()
        try reportingErrors("vae-train", onSignal: .requestStop(stop), collectiveErrors: true) { cluster in
            var request = TrainRequest(data: data, runDirectory: resume ?? out!, settings: resume == nil ? givenSettings() ?? TrainingSettings() : nil)
            request.resume = resume != nil
            request.force = force
            request.threads = threads ?? (resume == nil ? cluster.coresPerLocalRank : nil)
            request.stopAfterStep = stopAfterStep
            request.cluster = cluster
            // Messages come from rank 0 only.
            let progress = ProgressReporter(style: ProgressReporter.styleForStandardError(quiet: quiet || !cluster.isRoot)) {
                FileHandle.standardError.write(Data($0.utf8))
            }
            let summary = try Trainer(request, progress: progress, warn: printError, stop: stop).train()
            if !quiet && cluster.isRoot {
                printOut(summary.finalLine(model: "\(request.runDirectory)/model.ckpt"))
            }
        }
    }
}
