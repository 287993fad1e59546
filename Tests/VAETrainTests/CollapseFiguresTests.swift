// The figures of posterior collapse (active units, reconstruction and mean-image PSNR): against
// a direct computation on a tiny model, the same bits on any thread count, none active for an
// encoder whose means are constant (and the warning), the train split's active units and null
// PSNRs without test examples, the same summary after a stop in their phase and a resume, and
// how the final line and the warning read.
import Foundation
import TestSupport
import VAECore
import VAEIngest
import VAEShards
import VAEModel
import XCTest
@testable import VAETrain

final class CollapseFiguresTests: XCTestCase {
    /// Synthetic 12x12 shapes in shards of 40.
    private func makeData(_ dir: String, train: Int = 160, test: Int = 50) throws -> ShardDataset {
        let out = dir + "/shards-\(test)"
        _ = try ArtifactWriter.write(SyntheticShapes.input(train: train, test: test, size: 12, seed: 1),
                                     parameters: IngestParameters(shardSize: 40, level: 1), to: out, force: false)
        return try ShardDataset(directory: out)
    }

    /// An untrained 144-16-4 model of 2 samples per example (so that `decode`'s pieces would move
    /// with the threads), whose mu rows of the head are scaled: dimensions 0 and 1 by 10 (they
    /// vary), 2 and 3 by 0.001 (they do not).
    private func makeModel(threads: Int = 1) throws -> VAE {
        let model = try VAE(config: ModelConfig(inputSize: 144, hiddenSizes: [16], latentSize: 4), seed: 3, batchCapacity: 8, mcSamples: 2)
        scaleMeanRows(model, by: [10, 10, 0.001, 0.001])
        model.useThreads(threads)
        return model
    }

    /// Multiplies the head's weights of mu's dimension j by `factors[j]` (the biases stay).
    private func scaleMeanRows(_ model: VAE, by factors: [Float]) {
        let head = model.layout.head
        for (j, factor) in factors.enumerated() {
            for i in 0 ..< head.inputs { model.parameters[head.weightOffset + j * head.inputs + i] *= factor }
        }
    }

    private func evaluation(_ dataset: ShardDataset) -> Evaluation {
        Evaluation(dataset: dataset, settings: TrainingSettings(), inputSize: 144, stop: StopFlag())
    }

    /// Every image of `split`, intensities byte/255 in Double.
    private func images(_ dataset: ShardDataset, _ split: Split) throws -> [[Double]] {
        var out: [[Double]] = []
        let stream = dataset.stream(split)
        while let block = try stream.next() {
            for n in 0 ..< block.count { out.append(block.pixels[n * 144 ..< (n + 1) * 144].map { Double($0) / 255 }) }
        }
        return out
    }

    /// One example at a time through `encode`, then `decode` of its mu: (mu, means).
    private func reconstruct(_ model: VAE, _ image: [Double]) -> (mu: [Float], means: [Float]) {
        let x = image.map(Float.init)
        var mu = [Float](repeating: 0, count: 4), logvar = mu, means = [Float](repeating: 0, count: 144)
        model.encode(batch: x, count: 1, mu: &mu, logvar: &logvar)
        model.decode(z: mu, count: 1, means: &means)
        return (mu, means)
    }

    /// The unbiased variance of each column, two passes.
    private func variances(_ rows: [[Float]]) -> [Double] {
        let n = Double(rows.count)
        return rows[0].indices.map { j in
            let mean = rows.reduce(0) { $0 + Double($1[j]) } / n
            return rows.reduce(0) { $0 + (Double($1[j]) - mean) * (Double($1[j]) - mean) } / (n - 1)
        }
    }

    private func psnr(_ a: [[Double]], _ b: [[Double]]) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) { for (p, q) in zip(x, y) { sum += (p - q) * (p - q) } }
        return 10 * log10(1 / (sum / Double(a.count * a[0].count)))
    }

    func testTheFiguresAgreeWithADirectComputation() throws {
        let dataset = try makeData(try makeScratchDirectory(self))
        let model = try makeModel(threads: 2)
        let figures = try evaluation(dataset).collapseFigures(model: model)

        let test = try images(dataset, .test), train = try images(dataset, .train)
        let outputs = test.map { reconstruct(model, $0) }
        let variance = variances(outputs.map(\.mu))
        XCTAssertEqual(variance.map { $0 > 0.01 }, [true, true, false, false], "\(variance)")
        let meanImage = (0 ..< 144).map { j in train.reduce(0) { $0 + $1[j] } / Double(train.count) }

        XCTAssertEqual(figures.activeUnits, 2)
        XCTAssertEqual(figures.split, .test)
        XCTAssertEqual(figures.latentSize, 4)
        // One example a call against 8 a piece: the decoded means differ in their last bits only.
        XCTAssertEqual(try XCTUnwrap(figures.reconstructionPSNR), psnr(outputs.map { $0.means.map(Double.init) }, test), accuracy: 1e-5)
        // The intensities are Float(byte)/255 in the model's batches: 1e-8 apart from byte/255.
        XCTAssertEqual(try XCTUnwrap(figures.meanImagePSNR), psnr(test.map { _ in meanImage }, test), accuracy: 1e-6)
        XCTAssertTrue(figures.collapsed, "two units vary, but an untrained decoder does not reconstruct: \(figures)")
    }

    func testExactTheFiguresDoNotDependOnTheThreads() throws {
        let dataset = try makeData(try makeScratchDirectory(self))
        let one = try evaluation(dataset).collapseFigures(model: try makeModel(threads: 1))
        for threads in [2, 3] {
            XCTAssertEqual(try evaluation(dataset).collapseFigures(model: try makeModel(threads: threads)), one, "\(threads) threads")
        }
    }

    func testAnEncoderOfConstantMeansHasNoActiveUnitAndIsWarnedAbout() throws {
        let dataset = try makeData(try makeScratchDirectory(self))
        let model = try makeModel()
        scaleMeanRows(model, by: [0, 0, 0, 0])  // mu = the head's bias, whatever the input
        let figures = try evaluation(dataset).collapseFigures(model: model)
        XCTAssertEqual(figures.activeUnits, 0)
        XCTAssertTrue(figures.collapsed)
        // The same reconstruction of every image can at best be the mean image.
        let reconstruction = try XCTUnwrap(figures.reconstructionPSNR), meanImage = try XCTUnwrap(figures.meanImagePSNR)
        XCTAssertLessThanOrEqual(reconstruction, meanImage)
        let summary = RunSummary(history: [], steps: 0, iwae: nil, collapse: figures, trainCount: 160, phaseSeconds: PhaseTimes())
        XCTAssertEqual(summary.collapseWarning, String(
            format: "warning: the model ignores its input (0 active units, reconstruction PSNR %.2f dB against %.2f dB for the mean image): "
                + "posterior collapse; train longer, see docs/METHOD.md", reconstruction, meanImage))
    }

    func testTheWarningComesUnderOneDecibelOfGainOrWithoutAnActiveUnit() {
        func warning(_ active: Int, _ reconstruction: Double?, _ meanImage: Double?) -> String? {
            let figures = CollapseFigures(activeUnits: active, split: reconstruction == nil ? .train : .test, latentSize: 8,
                                          reconstructionPSNR: reconstruction, meanImagePSNR: meanImage)
            return RunSummary(history: [], steps: 0, iwae: nil, collapse: figures, trainCount: 1, phaseSeconds: PhaseTimes()).collapseWarning
        }
        XCTAssertNil(warning(3, 12.5, 11.25))
        XCTAssertEqual(warning(3, 12.0, 11.25), "warning: the model ignores its input (3 active units, reconstruction PSNR 12.00 dB "
                       + "against 11.25 dB for the mean image): posterior collapse; train longer, see docs/METHOD.md")
        XCTAssertEqual(warning(1, 10.5, 11.25)?.contains("(1 active unit, reconstruction PSNR 10.50 dB against 11.25"), true)
        XCTAssertEqual(warning(0, 20, 11.25)?.contains("(0 active units, reconstruction PSNR 20.00 dB"), true)
        XCTAssertNil(warning(2, nil, nil))
        XCTAssertEqual(warning(0, nil, nil), "warning: the model ignores its input (0 active units over the train split): "
                       + "posterior collapse; train longer, see docs/METHOD.md")
    }

    // MARK: Through the trainer

    /// Checkpoints only at the end of each epoch.
    private func settings(epochs: Int = 2) -> TrainingSettings {
        var s = TrainingSettings.small(epochs: epochs)
        s.checkpointEvery = 0
        return s
    }

    private func train(_ data: String?, _ run: String, _ settings: TrainingSettings?, resume: Bool = false,
                       stopIn phase: TrainingPhase? = nil, warnings: WarningLog = WarningLog()) throws -> RunSummary {
        var request = TrainRequest(data: data, runDirectory: run, settings: settings)
        request.resume = resume
        request.threads = 1
        request.stopInPhase = phase
        return try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { warnings.lines.append($0) },
                           stop: StopFlag()).train()
    }

    final class WarningLog { var lines = [String]() }

    private func jsonObject(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try FileIO.read(path))) as? [String: Any])
    }

    func testWithoutTestExamplesTheActiveUnitsAreTheTrainSplitsAndThePSNRsNull() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try makeData(dir, test: 0)
        let summary = try train(dataset.directory, dir + "/run", settings())
        XCTAssertEqual(summary.activeUnitsSplit, .train)
        XCTAssertEqual(summary.latentSize, 3)
        XCTAssertNil(summary.testPsnrDb)
        XCTAssertNil(summary.meanImagePsnrDb)
        // The trained model's means over the train split, one example at a time.
        let model = try VAE(checkpoint: try Checkpoint.read(from: dir + "/run/model.ckpt"))
        let mus = try images(dataset, .train).map { image in
            var mu = [Float](repeating: 0, count: 3), logvar = mu
            model.encode(batch: image.map(Float.init), count: 1, mu: &mu, logvar: &logvar)
            return mu
        }
        let variance = variances(mus)
        XCTAssertEqual(summary.activeUnits, variance.filter { $0 > 0.01 }.count, "\(variance)")
        XCTAssertFalse(variance.contains { abs($0 - 0.01) < 1e-4 }, "no variance so close to the threshold that rounding decides")

        let written = try jsonObject(dir + "/run/summary.json")
        XCTAssertEqual(written["active_units"] as? Int, summary.activeUnits)
        XCTAssertEqual(written["active_units_split"] as? String, "train")
        XCTAssertEqual(written["latent_size"] as? Int, 3)
        for key in ["test_psnr_db", "mean_image_psnr_db"] { XCTAssertTrue(written[key] is NSNull, "\(key): \(String(describing: written[key]))") }
        XCTAssertTrue(summary.finalLine(model: "m").contains("; \(summary.activeUnits!)/3 active units (train split); median epoch "),
                      summary.finalLine(model: "m"))
        XCTAssertFalse(summary.finalLine(model: "m").contains("PSNR"))
    }

    func testExactAStopInTheirPhaseAndAResumeGiveTheSameSummary() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir).directory
        let whole = try train(data, dir + "/whole", settings())
        let parts = dir + "/parts"
        XCTAssertThrowsError(try train(data, parts, settings(), stopIn: .collapseFigures)) {
            guard case .interrupted(_, let phase, let checkpoint, _, _)? = $0 as? TrainError else { return XCTFail("\($0)") }
            XCTAssertEqual(phase, .collapseFigures)
            XCTAssertTrue(FileIO.exists(checkpoint))
            XCTAssertTrue("\($0)".hasPrefix("interrupted during the posterior-collapse figures at step 20;"), "\($0)")
        }
        XCTAssertFalse(FileIO.exists(parts + "/summary.json"))
        let resumed = try train(nil, parts, nil, resume: true)
        XCTAssertEqual(resumed.collapse, whole.collapse)
        XCTAssertNotNil(whole.testPsnrDb)
        // summary.json but the times.
        let timeless = { (path: String) in
            try self.jsonObject(path).filter { !["epoch_seconds", "median_epoch_seconds", "examples_per_second", "phase_seconds"].contains($0.key) }
                .mapValues { "\($0)" }
        }
        XCTAssertEqual(try timeless(parts + "/summary.json"), try timeless(dir + "/whole/summary.json"))
        for key in ["active_units", "test_psnr_db", "mean_image_psnr_db"] {
            XCTAssertNotNil(try jsonObject(parts + "/summary.json")[key] as? NSNumber, key)
        }
    }

    func testAKLWeightThatSilencesTheEncoderIsWarnedAbout() throws {
        // The 4x4 patterns, which a small model learns in a few epochs; at beta 200 the KL term
        // outweighs everything the code could carry, and q(z|x) goes to the prior.
        let dir = try makeScratchDirectory(self)
        let data = try PatternFixtures.artifact(in: dir, train: 480, test: 48, shardSize: 48).directory
        var learning = settings(epochs: 30)
        learning.learningRate = 1e-2
        var collapsing = learning
        collapsing.beta = 200
        let log = WarningLog()
        let summary = try train(data, dir + "/collapsed", collapsing, warnings: log)
        XCTAssertEqual(summary.activeUnits, 0)
        // (Besides the warning that 900 steps are few.)
        let collapse = log.lines.filter { !$0.contains("optimizer steps in all") }
        XCTAssertEqual(collapse, [try XCTUnwrap(summary.collapseWarning)])
        XCTAssertTrue(collapse[0].hasPrefix("warning: the model ignores its input (0 active units, reconstruction PSNR "), collapse[0])
        // The same run at beta 1 learns: no warning.
        let quiet = WarningLog()
        let learned = try train(data, dir + "/learned", learning, warnings: quiet)
        XCTAssertEqual(quiet.lines.filter { !$0.contains("optimizer steps in all") }, [])
        XCTAssertGreaterThan(try XCTUnwrap(learned.activeUnits), 0)
        XCTAssertGreaterThan(try XCTUnwrap(learned.testPsnrDb) - (try XCTUnwrap(learned.meanImagePsnrDb)), 1, learned.finalLine(model: "m"))
    }

    // MARK: The summary

    func testTheFinalLineShowsTheFigures() {
        let epoch = EpochMetrics(epoch: 1, step: 10, examples: 150, train: LossParts(total: 90, reconstruction: 85, kl: 5),
                                 test: LossParts(total: 88, reconstruction: 83.5, kl: 4.5), seconds: 1.5, examplesPerSecond: 100)
        let figures = CollapseFigures(activeUnits: 12, split: .test, latentSize: 32, reconstructionPSNR: 18.314, meanImagePSNR: 10.7351)
        let summary = RunSummary(history: [epoch], steps: 10, iwae: nil, collapse: figures, trainCount: 150, phaseSeconds: PhaseTimes())
        XCTAssertEqual(summary.finalLine(model: "m"), "test negative ELBO 88.00 nats (recon 83.50, KL 4.50); 12/32 active units; "
                       + "reconstruction PSNR 18.31 dB (mean image 10.74 dB); median epoch 1.50 s; model m")
        XCTAssertNil(summary.collapseWarning)
    }

    func testSummariesWrittenBeforeTheFiguresReadWithoutThem() throws {
        let old = """
            {"epoch_seconds":[0.5],"epochs":1,"examples_per_second":1000,"median_epoch_seconds":0.5,\
            "phase_seconds":{"checkpoints":0,"compute":1,"data":0,"evaluation":0},"steps":19,"test_kl":3.5,\
            "test_neg_elbo":80,"test_recon":76.5,"train_loss":70}
            """
        let summary = try JSONCoding.decode(RunSummary.self, from: Array(old.utf8), path: "summary.json")
        XCTAssertNil(summary.activeUnits)
        XCTAssertNil(summary.collapse)
        XCTAssertNil(summary.collapseWarning)
        XCTAssertEqual(summary.finalLine(model: "m"), "test negative ELBO 80.00 nats (recon 76.50, KL 3.50); median epoch 0.500 s; model m")
        let written = String(decoding: try JSONCoding.encode(summary), as: UTF8.self)
        for key in ["active_units", "active_units_split", "latent_size", "test_psnr_db", "mean_image_psnr_db"] {
            XCTAssertTrue(written.contains("\"\(key)\" : null"), written)
        }
    }
}
