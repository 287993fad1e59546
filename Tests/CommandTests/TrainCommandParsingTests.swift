// vae-train's command line parsed in process, as swift-argument-parser's own tests do: the values
// users type become typed settings, and every refusal is pinned to its message.
import ArgumentParser
import VAECore
import VAEModel
import VAETrain
import VAETrainCommand
import XCTest

final class TrainCommandParsingTests: XCTestCase {
    private let new = ["--data", "shards", "--out", "run"]

    private func parse(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> TrainCommand {
        try parseCommand(TrainCommand.self, arguments, as: TrainCommand.self, file: file, line: line)
    }

    private func error(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        parseError(TrainCommand.self, arguments, file: file, line: line)
    }

    func testTypedValuesBecomeSettings() throws {
        let command = try parse(new + ["--likelihood", "gaussian", "--sigma", "0.25", "--hidden", "512, 256", "--latent", "8",
                                       "--epochs", "3", "--seed", "18446744073709551615", "--iwae-k", "10", "--iwae-n", "5"])
        let settings = try XCTUnwrap(command.givenSettings())
        XCTAssertEqual(settings.likelihood, .gaussianFixed(sigma: 0.25))
        XCTAssertEqual(settings.hiddenSizes, [512, 256])
        XCTAssertEqual(settings.latentSize, 8)
        XCTAssertEqual(settings.epochs, 3)
        XCTAssertEqual(settings.seed, UInt64.max)
        XCTAssertEqual([settings.iwaeSamples, settings.iwaeExamples], [10, 5])
        XCTAssertEqual(settings.batchSize, TrainingSettings().batchSize, "what was not given keeps its default")

        XCTAssertEqual(try parse(new + ["--likelihood", "gaussian"]).givenSettings()?.likelihood, .gaussianLearned)
        XCTAssertEqual(try parse(new + ["--binarize", "dynamic"]).givenSettings()?.binarize, .dynamic)
        XCTAssertNil(try parse(new).givenSettings(), "no settings given")
        XCTAssertNil(try parse(["--resume", "run"]).givenSettings())
    }

    func testAStepBudgetItsWarmUpAndAugmentationBecomeSettings() throws {
        let steps = try XCTUnwrap(try parse(new + ["--steps", "3000", "--kl-warmup", "20%", "--augment", "flip,shift:2"]).givenSettings())
        XCTAssertEqual([steps.steps, steps.epochs, steps.klWarmupSteps, steps.klWarmupEpochs], [3000, 0, 600, 0])
        XCTAssertEqual(steps.augment, Augmentation(flip: true, shift: 2))
        let counted = try XCTUnwrap(try parse(new + ["--steps", "3000", "--kl-warmup", "250"]).givenSettings())
        XCTAssertEqual(counted.klWarmupSteps, 250)
        let epochs = try XCTUnwrap(try parse(new + ["--epochs", "20", "--kl-warmup", "10%", "--augment", "shift:1"]).givenSettings())
        XCTAssertEqual([epochs.epochs, epochs.klWarmupEpochs, epochs.klWarmupSteps, epochs.steps], [20, 2, 0, 0])
        XCTAssertEqual(epochs.augment, Augmentation(shift: 1))
        XCTAssertEqual(error(new + ["--steps", "100", "--epochs", "2"]), "--steps and --epochs do not go together: give one budget")
        XCTAssertEqual(error(new + ["--steps", "0"]), "--steps must be at least 1, got 0")
        XCTAssertEqual(error(new + ["--augment", "mirror"]), "The value 'mirror' is invalid for '--augment <flip|shift:K|flip,shift:K>'")
        XCTAssertEqual(error(new + ["--kl-warmup", "120%"]), "The value '120%' is invalid for '--kl-warmup <N|P%>'")
    }

    func testArchAndChannelsBecomeSettings() throws {
        XCTAssertEqual(try parse(new + ["--arch", "conv", "--channels", "8, 16"]).givenSettings()?.architecture, .conv(channels: [8, 16]))
        XCTAssertEqual(try parse(new + ["--arch", "conv"]).givenSettings()?.architecture, .conv(channels: [32, 64]))
        XCTAssertEqual(try parse(new + ["--arch", "mlp"]).givenSettings()?.architecture, .mlp)
        XCTAssertEqual(error(new + ["--channels", "8"]), "--channels goes with --arch conv")
        XCTAssertEqual(error(new + ["--arch", "conv", "--hidden", "400"]), "--hidden goes with --arch mlp")
        XCTAssertEqual(error(new + ["--arch", "conv", "--channels", "8,0"]), "--channels must be positive, got [8, 0]")
    }

    func testEstimatorAndMeasurementOptionsBecomeSettings() throws {
        let settings = try XCTUnwrap(try parse(new + ["--estimator", "score-function-baseline", "--gradient-variance-every", "100",
                                                      "--gradient-variance-draws", "30"]).givenSettings())
        XCTAssertEqual(settings.estimator, .scoreFunctionBaseline)
        XCTAssertEqual(settings.gradientVarianceEvery, 100)
        XCTAssertEqual(settings.gradientVarianceDraws, 30)
        XCTAssertEqual(error(new + ["--gradient-variance-draws", "30"]), "--gradient-variance-draws goes with --gradient-variance-every")
        XCTAssertEqual(error(new + ["--gradient-variance-every", "10", "--gradient-variance-draws", "1"]),
                       "--gradient-variance-draws must be at least 2 and at most 65536, got 1")
    }

    func testValuesOutsideAnEnumAreRefusedWithTheChoices() {
        XCTAssertEqual(error(new + ["--likelihood", "poisson"]),
                       "The value 'poisson' is invalid for '--likelihood <likelihood>'. Please provide one of 'bernoulli' and 'gaussian'.")
        XCTAssertEqual(error(new + ["--binarize", "sometimes"]),
                       "The value 'sometimes' is invalid for '--binarize <binarize>'. Please provide one of 'none' and 'dynamic'.")
        XCTAssertEqual(error(new + ["--arch", "resnet"]),
                       "The value 'resnet' is invalid for '--arch <arch>'. Please provide one of 'mlp' and 'conv'.")
        XCTAssertEqual(error(new + ["--estimator", "reinforce"]),
                       "The value 'reinforce' is invalid for '--estimator <estimator>'. Please provide one of 'reparameterization', 'score-function' or 'score-function-baseline'.")
        XCTAssertEqual(error(new + ["--hidden", "32,x"]), "The value '32,x' is invalid for '--hidden <hidden>'")
        XCTAssertEqual(error(new + ["--hidden", "32,"]), "The value '32,' is invalid for '--hidden <hidden>'")
    }

    func testTheHelpListsTheChoices() {
        let help = TrainCommand.helpMessage(columns: 200)
        XCTAssertTrue(help.contains("--likelihood <likelihood>"), help)
        XCTAssertTrue(help.contains("(values: bernoulli, gaussian)"), help)
        XCTAssertTrue(help.contains("(values: none, dynamic)"), help)
    }

    func testAnErrorIsTheErrorLineThenTheUsage() {
        do {
            _ = try TrainCommand.parseAsRoot(new + ["--likelihood", "poisson"])
            XCTFail("parsed")
        } catch {
            let lines = TrainCommand.fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.first, "Error: The value 'poisson' is invalid for '--likelihood <likelihood>'. Please provide one of 'bernoulli' and 'gaussian'.")
            XCTAssertTrue(lines.dropFirst().contains { $0.hasPrefix("Usage: vae-train") }, "\(lines)")
            XCTAssertEqual(TrainCommand.exitCode(for: error), .validationFailure)
        }
    }

    func testTheObjectiveAndThePriorBecomeSettings() throws {
        let iwae = try XCTUnwrap(try parse(new + ["--objective", "iwae", "--train-k", "8"]).givenSettings())
        XCTAssertEqual(iwae.objective, .iwae)
        XCTAssertEqual(iwae.mcSamples, 8)
        let k = try XCTUnwrap(try parse(new + ["--objective", "iwae"]).givenSettings())
        XCTAssertEqual(k.mcSamples, TrainCommand.defaultTrainK)
        let vamp = try XCTUnwrap(try parse(new + ["--prior", "vamp", "--pseudo-inputs", "50"]).givenSettings())
        XCTAssertEqual(vamp.prior, .vamp(pseudoInputs: 50))
        XCTAssertEqual(vamp.modelConfig(shape: ImageShape(height: 4, width: 4, channels: 1)).prior, .vamp(pseudoInputs: 50))
        XCTAssertEqual(try XCTUnwrap(try parse(new + ["--prior", "vamp"]).givenSettings()).prior,
                       .vamp(pseudoInputs: TrainCommand.defaultPseudoInputs))
        XCTAssertEqual(error(new + ["--train-k", "5"]), "--train-k goes with --objective iwae")
        XCTAssertEqual(error(new + ["--objective", "iwae", "--mc-samples", "5"]),
                       "--objective iwae takes its samples from --train-k, not --mc-samples")
        XCTAssertEqual(error(new + ["--pseudo-inputs", "5"]), "--pseudo-inputs goes with --prior vamp")
        XCTAssertEqual(error(new + ["--prior", "vamp", "--conditional"]), "--prior vamp is for unconditional models: leave out --conditional")
        XCTAssertEqual(error(new + ["--prior", "vamp", "--pseudo-inputs", "0"]), "--pseudo-inputs must be 1 to 16384, got 0")
        XCTAssertEqual(error(new + ["--objective", "iwae", "--estimator", "score-function"]),
                       "--objective iwae and --prior vamp train through the reparameterization: leave out --estimator score-function")
        XCTAssertEqual(error(new + ["--objective", "bound"]),
                       "The value 'bound' is invalid for '--objective <objective>'. Please provide one of 'elbo' and 'iwae'.")
    }

    func testCombinationsAreCheckedBeforeAnyWork() {
        XCTAssertEqual(error(["--out", "run"]), "give --data SHARDS (or --resume RUN_DIR)")
        XCTAssertEqual(error(["--data", "shards"]), "give --out RUN_DIR (or --resume RUN_DIR)")
        XCTAssertEqual(error(["--resume", "run", "--out", "x"]), "--resume names the run directory; leave out --out")
        XCTAssertEqual(error(["--resume", "run", "--epochs", "3"]),
                       "--resume takes the run's settings from its config.json; give no training options")
        XCTAssertEqual(error(["--resume", "run", "--likelihood", "gaussian"]),
                       "--resume takes the run's settings from its config.json; give no training options")
        XCTAssertEqual(error(new + ["--sigma", "0.1"]), "--sigma goes with --likelihood gaussian")
        XCTAssertEqual(error(new + ["--likelihood", "gaussian", "--sigma", "0"]), "--sigma must be positive, got 0.0")
        XCTAssertEqual(error(new + ["--batch-size", "0"]), "--batch-size must be 1 to 1048576, got 0")
        XCTAssertEqual(error(new + ["--iwae-k", "5"]), "--iwae-k and --iwae-n go together")
        XCTAssertEqual(error(new + ["--binarize", "dynamic", "--likelihood", "gaussian"]),
                       "--binarize dynamic goes with the Bernoulli likelihood")
        XCTAssertEqual(error(new + ["--threads", "0"]), "--threads must be at least 1")
    }

    /// The options stop where a checkpoint's limits do: the largest values start a run whose
    /// settings and model pass the checks its checkpoints are read against, one more is refused.
    func testOptionLimitsAreTheCheckpointLimits() throws {
        let batch = TrainingSettings.maxBatchSize, samples = TrainingSettings.maxMCSamples, width = ModelConfig.maxWidth
        let largest = try parse(new + ["--batch-size", "\(batch)", "--mc-samples", "\(samples)", "--latent", "\(width)",
                                       "--hidden", Array(repeating: "\(width)", count: ModelConfig.maxHiddenLayers).joined(separator: ",")])
        let settings = try XCTUnwrap(largest.givenSettings())
        XCTAssertNoThrow(try settings.checkLimits())
        XCTAssertNoThrow(try settings.modelConfig(shape: ImageShape(height: 28, width: 28, channels: 1)).checkLimits())
        XCTAssertEqual(error(new + ["--batch-size", "\(batch + 1)"]), "--batch-size must be 1 to \(batch), got \(batch + 1)")
        XCTAssertEqual(error(new + ["--mc-samples", "\(samples + 1)"]), "--mc-samples must be 1 to \(samples), got \(samples + 1)")
        XCTAssertEqual(error(new + ["--latent", "\(width + 1)"]), "--latent must be 1 to \(width), got \(width + 1)")
        XCTAssertEqual(error(new + ["--hidden", "8,\(width + 1)"]), "--hidden widths must be 1 to \(width), got [8, \(width + 1)]")
        XCTAssertEqual(error(new + ["--hidden", Array(repeating: "4", count: ModelConfig.maxHiddenLayers + 1).joined(separator: ",")]),
                       "--hidden gives \(ModelConfig.maxHiddenLayers + 1) layers, over the limit of \(ModelConfig.maxHiddenLayers)")
        XCTAssertEqual(error(new + ["--epochs", "2147483648"]),
                       "invalid training settings: epochs is 2147483648, must be 0 to 2147483647")
    }
}
