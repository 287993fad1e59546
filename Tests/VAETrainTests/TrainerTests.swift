import Foundation
import TestSupport
import VAECore
import VAEIngest
@testable import VAEShards
import VAEModel
import XCTest
@testable import VAETrain

final class TrainerTests: XCTestCase {
    /// A synthetic shard artifact: 12x12 shapes, 300 train and 60 test examples in shards of 50.
    private func makeData(_ dir: String, train: Int = 300, test: Int = 60, seed: UInt64 = 1) throws -> String {
        let out = dir + "/shards-\(seed)-\(test)"
        _ = try ArtifactWriter.write(
            SyntheticShapes.input(train: train, test: test, size: 12, seed: seed),
            parameters: IngestParameters(shardSize: 50, level: 1), to: out, force: false)
        return out
    }

    private func smallOptions(epochs: Int = 2) -> TrainingSettings {
        var o = TrainingSettings.small(epochs: epochs)
        o.shuffleWindow = 2
        return o
    }

    private func train(_ data: String?, _ run: String, _ options: TrainingSettings?, resume: Bool = false, force: Bool = false,
                       stopAfter: Int? = nil, stopIn phase: TrainingPhase? = nil, warnings: WarningLog? = nil,
                       threads: Int = 1) throws -> RunSummary {
        var request = TrainRequest(data: data, runDirectory: run, settings: options)
        request.resume = resume
        request.force = force
        request.threads = threads
        request.stopAfterStep = stopAfter
        request.stopInPhase = phase
        let log = warnings ?? WarningLog()
        return try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { log.lines.append($0) }, stop: StopFlag()).train()
    }

    final class WarningLog { var lines = [String]() }

    /// A budget of steps: 19 steps an epoch (300 examples, batches of 16), so 45 steps are two
    /// whole epochs and a third of 7 steps (112 examples); the run stops after exactly 45.
    func testAStepBudgetEndsInAPartialLastEpoch() throws {
        let dir = try makeScratchDirectory(self)
        var options = smallOptions(epochs: 0)
        options.steps = 45
        options.klWarmupSteps = 30
        let log = WarningLog()
        let summary = try train(try makeData(dir), dir + "/run", options, warnings: log)
        XCTAssertEqual(summary.steps, 45)
        XCTAssertEqual(summary.epochs, 3)
        let rows = try String(contentsOfFile: dir + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        let examples = rows[0].split(separator: ",").firstIndex(of: "examples")!
        XCTAssertEqual(rows.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[examples] }, ["300", "300", "112"])
        XCTAssertEqual(rows.dropFirst().map { $0.split(separator: ",")[1] }, ["19", "38", "45"])
        XCTAssertEqual(log.lines.first, "warning: 45 optimizer steps in all: probably too short to learn anything (1000 or more with --steps or --epochs; see docs/METHOD.md)")
        // beta rises over the first 30 steps, then stays.
        XCTAssertEqual([1, 15, 30, 31, 45].map { options.beta(atStep: $0, epoch: 2) }, [Float(1) / 30, 0.5, 1, 1, 1])
    }

    /// Stopped inside the partial last epoch (after step 40) and resumed, a run with a step budget
    /// and augmentation ends with the uninterrupted run's bytes; augmentation changes them.
    func testExactStepBudgetWithAugmentationResumesToTheUninterruptedBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var options = smallOptions(epochs: 0)
        options.steps = 45
        options.augment = Augmentation(flip: true, shift: 2)
        _ = try train(data, dir + "/whole", options)
        XCTAssertThrowsError(try train(data, dir + "/stopped", options, stopAfter: 40))
        _ = try train(nil, dir + "/stopped", nil, resume: true)
        XCTAssertEqual(try FileIO.read(dir + "/stopped/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
        options.augment = .none
        _ = try train(data, dir + "/plain", options)
        XCTAssertNotEqual(try Checkpoint.read(from: dir + "/plain/model.ckpt").parameters,
                          try Checkpoint.read(from: dir + "/whole/model.ckpt").parameters)
        // config.json records the budget and the augmentation; a run without them has the bytes of before.
        let config = String(decoding: try FileIO.read(dir + "/whole/config.json"), as: UTF8.self)
        XCTAssert(config.contains("\"steps\" : 45") && config.contains("\"shift\" : 2"), config)
        XCTAssertFalse(String(decoding: try FileIO.read(dir + "/plain/config.json"), as: UTF8.self).contains("augment"))
    }

    func testLossFallsAndFilesAreWritten() throws {
        let dir = try makeScratchDirectory(self)
        let summary = try train(try makeData(dir), dir + "/run", smallOptions(epochs: 4))
        let rows = try String(contentsOfFile: dir + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(String(rows[0]), EpochMetrics.header)
        let column = rows[0].split(separator: ",").firstIndex(of: "train_loss")!
        let first = Double(rows[1].split(separator: ",")[column])!, last = Double(rows[4].split(separator: ",")[column])!
        XCTAssertLessThan(last, first * 0.9, "train loss \(first) -> \(last)")
        XCTAssertEqual(summary.steps, 4 * 19)  // ceil(300 / 16) steps per epoch
        XCTAssertEqual(summary.epochSeconds.count, 4)
        let elbo = try XCTUnwrap(summary.testNegElbo), recon = try XCTUnwrap(summary.testRecon), kl = try XCTUnwrap(summary.testKl)
        XCTAssertEqual(elbo, recon + kl, accuracy: 1e-6)
        for name in ["config.json", "metrics.csv", "summary.json", "model.ckpt"] {
            XCTAssertTrue(FileIO.exists(dir + "/run/" + name), name)
        }
        XCTAssertEqual(RunDirectory(dir + "/run").listCheckpoints().count, 3, "the newest three are kept")
        let model = try Checkpoint.read(from: dir + "/run/model.ckpt")
        XCTAssertEqual(model.state.epoch, 4)
        XCTAssertEqual(model.state.examplesSeen, 0)
        XCTAssertEqual(model.config.inputSize, 144)
    }

    func testExactSameSeedGivesIdenticalCheckpointsAndAnotherSeedDoesNot() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        _ = try train(data, dir + "/a", smallOptions())
        _ = try train(data, dir + "/b", smallOptions())
        var other = smallOptions()
        other.seed = 2
        _ = try train(data, dir + "/c", other)
        let a = try FileIO.read(dir + "/a/model.ckpt")
        XCTAssertEqual(a, try FileIO.read(dir + "/b/model.ckpt"))
        XCTAssertNotEqual(a, try FileIO.read(dir + "/c/model.ckpt"))
    }

    func testExactStoppedAndResumedRunEndsIdenticalToAnUninterruptedOne() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var options = smallOptions(epochs: 3)
        options.binarize = .dynamic
        options.mcSamples = 2
        options.klWarmupEpochs = 2
        _ = try train(data, dir + "/whole", options)
        // Stop mid-epoch (step 23 is inside epoch 2, between periodic checkpoints), then twice more.
        for (stop, resume) in [(23, false), (31, true), (57, true)] {
            XCTAssertThrowsError(try train(resume ? nil : data, dir + "/parts", resume ? nil : options, resume: resume, stopAfter: stop)) {
                XCTAssertEqual($0 as? TrainError, .interrupted(step: stop, phase: .training, checkpoint: RunDirectory(dir + "/parts").checkpoint(step: stop),
                                                               runDirectory: dir + "/parts", signal: SIGTERM))
            }
        }
        _ = try train(nil, dir + "/parts", nil, resume: true)
        XCTAssertEqual(try FileIO.read(dir + "/whole/model.ckpt"), try FileIO.read(dir + "/parts/model.ckpt"))
        XCTAssertEqual(try losses(dir + "/whole"), try losses(dir + "/parts"), "the same losses per epoch")
    }

    func testExactStoppedAndResumedTwoThreadRunEndsIdenticalToAnUninterruptedOne() throws {
        // Data-parallel steps (batch 16 in slices of 8) and a last partial batch in slices too.
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var options = smallOptions(epochs: 2)
        options.mcSamples = 2
        _ = try train(data, dir + "/whole", options, threads: 2)
        XCTAssertThrowsError(try train(data, dir + "/parts", options, stopAfter: 13, threads: 2))
        _ = try train(nil, dir + "/parts", nil, resume: true, threads: 2)
        XCTAssertEqual(try FileIO.read(dir + "/whole/model.ckpt"), try FileIO.read(dir + "/parts/model.ckpt"))
        XCTAssertEqual(try losses(dir + "/whole"), try losses(dir + "/parts"))
    }

    /// The header and the loss columns of metrics.csv (the columns that do not measure time).
    private func losses(_ run: String) throws -> [[Substring]] {
        try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8).split(separator: "\n")
            .map { Array($0.split(separator: ",", omittingEmptySubsequences: false)[0...7]) }
    }

    /// A JSON file as an object.
    private func jsonObject(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try FileIO.read(path))) as? [String: Any])
    }

    /// summary.json without the fields that measure time.
    private func figures(_ path: String) throws -> [String: String] {
        try jsonObject(path).filter { !["epoch_seconds", "median_epoch_seconds", "examples_per_second", "phase_seconds"].contains($0.key) }
            .mapValues { "\($0)" }
    }

    func testExactStoppedInEveryPhaseAndResumedEndsIdenticalToAnUninterruptedRun() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var options = smallOptions(epochs: 2)
        options.iwaeSamples = 8
        options.iwaeExamples = 30
        options.checkpointEvery = 0
        _ = try train(data, dir + "/whole", options)
        let parts = dir + "/parts"
        for (i, phase) in [TrainingPhase.testEvaluation, .testEvaluation, .importanceWeightedBound, .finalWrites].enumerated() {
            XCTAssertThrowsError(try train(i == 0 ? data : nil, parts, i == 0 ? options : nil, resume: i > 0, stopIn: phase)) {
                guard case .interrupted(let step, let stoppedIn, let checkpoint, let run, let signal)? = $0 as? TrainError else {
                    return XCTFail("\($0)")
                }
                XCTAssertEqual(stoppedIn, phase)
                XCTAssertEqual(signal, SIGINT)
                XCTAssertEqual(run, parts)
                XCTAssertEqual(checkpoint, RunDirectory(parts).checkpoint(step: step))
                XCTAssertTrue(FileIO.exists(checkpoint), "the state is saved before the error")
                XCTAssertTrue("\($0)".contains("Continue with: vae-train --resume \(parts)"), "\($0)")
            }
            XCTAssertFalse(FileIO.exists(parts + "/summary.json"), "stopped in \(phase): no summary yet")
            XCTAssertFalse(FileIO.exists(parts + "/model.ckpt"))
        }
        _ = try train(nil, parts, nil, resume: true)
        XCTAssertEqual(try FileIO.read(parts + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
        XCTAssertEqual(try figures(parts + "/summary.json"), try figures(dir + "/whole/summary.json"))
        XCTAssertNotNil(try jsonObject(parts + "/summary.json")["iwae_nll"] as? Double)
        XCTAssertEqual(try losses(parts), try losses(dir + "/whole"))
    }

    func testResumeNeverReadsMetricsCSVBack() throws {
        // A damaged metrics.csv (a short row, as a killed editor or a full disk leaves it) is
        // rewritten from the typed figures, not parsed.
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        _ = try train(data, dir + "/whole", smallOptions(epochs: 3))
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(epochs: 3), stopAfter: 45))
        try AtomicFile.write("epoch,step\n1,19\n2\n", to: dir + "/run/metrics.csv")
        let summary = try train(nil, dir + "/run", nil, resume: true)
        XCTAssertEqual(summary.epochSeconds.count, 3)
        XCTAssertEqual(try String(contentsOfFile: dir + "/run/metrics.csv", encoding: .utf8).split(separator: "\n").count, 4)
        XCTAssertEqual(try FileIO.read(dir + "/run/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
    }

    func testResumeRemovesTemporaryFilesAtTheTopOfTheRunDirectory() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(), stopAfter: 6))
        let leftovers = [dir + "/run/.model.ckpt.tmp-99999", dir + "/run/.summary.json.tmp-99999",
                         dir + "/run/.metrics.csv.tmp-12", dir + "/run/checkpoints/.step-000000007.ckpt.tmp-99999"]
        for path in leftovers { try AtomicFile.write(Array("half a file".utf8), to: path) }
        _ = try train(nil, dir + "/run", nil, resume: true)
        for path in leftovers { XCTAssertFalse(FileIO.exists(path), "\(path) is removed on resume") }
        for directory in [dir + "/run", dir + "/run/checkpoints"] {
            XCTAssertFalse(directoryListing(directory).contains { AtomicFile.isTemporaryName($0) }, "\(directoryListing(directory))")
        }
        XCTAssertTrue(FileIO.exists(dir + "/run/model.ckpt"), "the resumed run finished")
    }

    func testResumeSkipsACorruptNewestCheckpointWithAWarning() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        _ = try train(data, dir + "/whole", smallOptions())
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(), stopAfter: 12))
        let newest = RunDirectory(dir + "/run").listCheckpoints()[0]
        var bytes = try FileIO.read(newest)
        bytes[bytes.count / 2] ^= 0xFF
        try AtomicFile.write(bytes, to: newest)
        let leftover = dir + "/run/checkpoints/.step-000000013.ckpt.tmp-99999"
        try AtomicFile.write(Array("half a checkpoint".utf8), to: leftover)
        let log = WarningLog()
        _ = try train(nil, dir + "/run", nil, resume: true, warnings: log)
        XCTAssertFalse(FileIO.exists(leftover), "what a killed write left is cleaned up")
        // (Two epochs are too few for this model to beat the mean image: it is warned about too.)
        let lines = log.lines.filter { !$0.hasPrefix("warning: the model ignores its input") }
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains(newest), lines[0])
        XCTAssertEqual(try FileIO.read(dir + "/whole/model.ckpt"), try FileIO.read(dir + "/run/model.ckpt"))
    }

    // MARK: No test split

    func testAnEmptyTestSplitTrainsToTheEndWithNullTestFigures() throws {
        let dir = try makeScratchDirectory(self)
        var options = smallOptions()
        options.iwaeSamples = 4
        options.iwaeExamples = 10
        let log = WarningLog()
        let summary = try train(try makeData(dir, test: 0), dir + "/run", options, warnings: log)
        XCTAssertEqual(log.lines, ["warning: the test split holds no examples: no importance-weighted bound (--iwae-k)",
                                   "warning: 38 optimizer steps in all: probably too short to learn anything (1000 or more with --steps or --epochs; see docs/METHOD.md)"])
        XCTAssertNil(summary.testNegElbo)
        XCTAssertNil(summary.testRecon)
        XCTAssertNil(summary.testKl)
        XCTAssertNil(summary.iwaeNll)
        XCTAssertTrue(summary.trainLoss.isFinite)
        for name in ["model.ckpt", "model.safetensors", "summary.json"] {
            XCTAssertTrue(FileIO.exists(dir + "/run/" + name), name)
        }
        let written = try jsonObject(dir + "/run/summary.json")
        for key in ["test_neg_elbo", "test_recon", "test_kl", "iwae_nll"] {
            XCTAssertTrue(written[key] is NSNull, "\(key): \(String(describing: written[key]))")
        }
        let history = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try FileIO.read(dir + "/run/history.json"))) as? [[String: Any]])
        XCTAssertEqual(history.count, 2)
        for epoch in history {
            XCTAssertTrue(epoch["test_recon"] is NSNull && epoch["test_kl"] is NSNull, "\(epoch)")
            XCTAssertNotNil(epoch["train_loss"] as? Double)
        }
        let rows = try String(contentsOfFile: dir + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 12)
            XCTAssertEqual(fields[6...8], ["", "", ""], "empty test fields: \(row)")
            XCTAssertNotNil(Double(fields[3]))
        }
        for name in ["summary.json", "history.json", "metrics.csv"] {
            assertNoNaN(try String(contentsOfFile: dir + "/run/" + name, encoding: .utf8), name)
        }
        XCTAssertEqual(try JSONCoding.decode(RunSummary.self, from: try FileIO.read(dir + "/run/summary.json"), path: "summary.json"), summary)
    }

    func testAResumedRunWithoutATestSplitReadsItsNullHistory() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir, test: 0)
        _ = try train(data, dir + "/whole", smallOptions(epochs: 3))
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(epochs: 3), stopAfter: 45))  // in epoch 3
        let summary = try train(nil, dir + "/run", nil, resume: true)
        XCTAssertEqual(summary.epochs, 3)
        XCTAssertNil(summary.testNegElbo)
        XCTAssertEqual(try losses(dir + "/run"), try losses(dir + "/whole"))
        XCTAssertEqual(try FileIO.read(dir + "/run/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
    }

    // MARK: The final writes

    func testAFinalWriteThatFailsKeepsTheModelAndResumeFinishesTheRun() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var options = smallOptions()
        options.iwaeSamples = 4
        options.iwaeExamples = 10
        _ = try train(data, dir + "/whole", options)

        /// Puts a directory in the way of `blocked`, expects `attempt` to fail saying the model is
        /// in `saved`, then removes it and expects a resume to finish the run as `whole` did.
        func check(_ run: String, blocked: String, saved: String, _ attempt: () throws -> RunSummary) throws {
            try FileManager.default.createDirectory(atPath: run + "/" + blocked + "/in-the-way", withIntermediateDirectories: true)
            XCTAssertThrowsError(try attempt()) { error in
                guard case .unfinished(let problem, let model, let runDirectory)? = error as? TrainError else { return XCTFail("\(error)") }
                XCTAssertTrue(problem.hasPrefix("\(run)/\(blocked): "), problem)
                XCTAssertEqual(model, run + "/" + saved)
                XCTAssertEqual(runDirectory, run)
                XCTAssertTrue("\(error)".hasSuffix(". The trained model is saved in \(run)/\(saved); once the problem is fixed, "
                                                   + "vae-train --resume \(run) finishes the run"), "\(error)")
            }
            XCTAssertNil(try? FileIO.read(run + "/summary.json"), "no summary.json")
            XCTAssertEqual(try Checkpoint.read(from: run + "/" + saved).state.epoch, 2, "the trained model, after the last epoch")
            try FileManager.default.removeItem(atPath: run + "/" + blocked)
            let summary = try train(nil, run, nil, resume: true)
            XCTAssertEqual(summary.steps, 38)
            XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
            XCTAssertEqual(try figures(run + "/summary.json"), try figures(dir + "/whole/summary.json"), "resume finished the run")
            XCTAssertNotNil(try jsonObject(run + "/summary.json")["iwae_nll"] as? Double)
            XCTAssertEqual(try losses(run), try losses(dir + "/whole"))
        }

        // summary.json cannot be written: model.ckpt was, before it.
        try check(dir + "/a", blocked: "summary.json", saved: "model.ckpt") { try train(data, dir + "/a", options) }
        // model.ckpt cannot be written (put in the way on a resume after the last epoch, since a
        // new run refuses a directory that has one): the last checkpoint holds the model.
        XCTAssertThrowsError(try train(data, dir + "/b", options, stopIn: .importanceWeightedBound))
        try check(dir + "/b", blocked: "model.ckpt", saved: "checkpoints/step-000000038.ckpt") { try train(nil, dir + "/b", nil, resume: true) }
    }

    func testAnEpochVisitsEveryExampleOnceInAnOrderThatDependsOnTheEpoch() throws {
        let shards = (0..<7).map { ShardInfo(file: "s\($0)", records: 10 + $0, firstRecord: 0, rawBytes: 0, fileBytes: 0, payloadCrc32: 0, fileCrc32: 0) }
        let plans = (0..<2).map { EpochPlan(shards: shards, window: 3, seed: 5, epoch: $0) }
        for plan in plans {
            XCTAssertEqual(plan.windows.flatMap { $0 }.sorted(), Array(0..<7))
            XCTAssertEqual(plan.windows.map { $0.count }, [3, 3, 1])
            for w in plan.windows.indices {
                XCTAssertEqual(plan.exampleOrder(window: w).sorted(), Array(0..<plan.windowCounts[w]))
            }
        }
        XCTAssertNotEqual(plans[0].windows, plans[1].windows as [[Int]])
        XCTAssertEqual(EpochPlan(shards: shards, window: 3, seed: 5, epoch: 1).exampleOrder(window: 0), plans[1].exampleOrder(window: 0))
    }

    func testTheResumePointSkipsWholeWindowsThenExamples() {
        let shards = (0..<5).map { ShardInfo(file: "s\($0)", records: 10, firstRecord: 0, rawBytes: 0, fileBytes: 0, payloadCrc32: 0, fileCrc32: 0) }
        let plan = EpochPlan(shards: shards, window: 2, seed: 5, epoch: 0)  // windows of 20, 20 and 10 examples
        XCTAssertEqual(plan.windowCounts, [20, 20, 10])
        let points = [0, 19, 20, 45, 49, 50, 60].map { plan.resumePoint(after: $0) }
        XCTAssertEqual(points.map(\.window), [0, 0, 1, 2, 2, 3, 3])
        XCTAssertEqual(points.map(\.offset), [0, 19, 0, 5, 9, 0, 0])
    }

    func testImportanceWeightedBoundTightensWithMoreSamples() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var options = smallOptions(epochs: 3)
        options.iwaeExamples = 40
        options.iwaeSamples = 1
        let one = try train(data, dir + "/k1", options)
        options.iwaeSamples = 64
        let many = try train(data, dir + "/k64", options)
        let nll1 = try XCTUnwrap(one.iwaeNll), nll64 = try XCTUnwrap(many.iwaeNll)
        XCTAssertEqual(many.iwaeK, 64)
        XCTAssertEqual(many.iwaeN, 40)
        XCTAssertLessThan(nll64, nll1, "more importance samples give a tighter bound")
        XCTAssertGreaterThan(nll64, 0)
        XCTAssertEqual(one.testNegElbo, many.testNegElbo, "the bound is computed after training, from its own generator")
        XCTAssertNil(try train(data, dir + "/none", smallOptions(epochs: 1)).iwaeNll)
    }

    func testKLWarmupRampsBeta() {
        var o = TrainingSettings()
        o.beta = 2
        o.klWarmupEpochs = 4
        XCTAssertEqual((0..<6).map { o.beta(atStep: 1, epoch: $0) }, [0.5, 1, 1.5, 2, 2, 2])
        o.klWarmupEpochs = 0
        XCTAssertEqual(o.beta(atStep: 1, epoch: 0), 2)
    }

    // MARK: Bad input

    func testExistingRunNeedsResumeOrForce() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        _ = try train(data, dir + "/run", smallOptions(epochs: 1))
        let before = try FileIO.read(dir + "/run/model.ckpt")
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(epochs: 1))) {
            guard case .runDirectory(_, let problem)? = $0 as? TrainError else { return XCTFail("\($0)") }
            XCTAssertTrue(problem.contains("--resume"))
        }
        XCTAssertEqual(try FileIO.read(dir + "/run/model.ckpt"), before, "untouched")
        XCTAssertNoThrow(try train(data, dir + "/run", smallOptions(epochs: 1), force: true))
        // A new run over a finished one, stopped early, leaves none of the old run's final files.
        XCTAssertTrue(FileIO.exists(dir + "/run/model.safetensors"))
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(epochs: 1), force: true, stopAfter: 2))
        for name in ["model.ckpt", "model.safetensors", "summary.json"] {
            XCTAssertFalse(FileIO.exists(dir + "/run/" + name), "\(name) of the old run is gone")
        }
    }

    func testResumeAgainstOtherDataOrOtherSettingsIsAnError() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let other = try makeData(dir, seed: 9)
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(), stopAfter: 6))
        XCTAssertThrowsError(try train(other, dir + "/run", nil, resume: true)) {
            guard case .mismatch(_, let problem)? = $0 as? TrainError else { return XCTFail("\($0)") }
            XCTAssertTrue(problem.contains("not the data"), problem)
        }
        var changed = smallOptions()
        changed.latentSize = 4
        XCTAssertThrowsError(try train(nil, dir + "/run", changed, resume: true)) {
            guard case .mismatch? = $0 as? TrainError else { return XCTFail("\($0)") }
        }
    }

    func testResumeWithOnlyBrokenCheckpointsIsAnError() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions(), stopAfter: 6))
        for path in RunDirectory(dir + "/run").listCheckpoints() {
            try AtomicFile.write(Array(try FileIO.read(path).prefix(100)), to: path)
        }
        let log = WarningLog()
        XCTAssertThrowsError(try train(nil, dir + "/run", nil, resume: true, warnings: log)) {
            XCTAssertTrue(String(describing: $0).contains("no valid checkpoint"), "\($0)")
        }
        XCTAssertEqual(log.lines.count, 2)
    }

    func testCorruptShardIsReportedByName() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let path = data + "/train-00003.shard"
        var bytes = try FileIO.read(path)
        bytes[200] ^= 1
        try AtomicFile.write(bytes, to: path)
        XCTAssertThrowsError(try train(data, dir + "/run", smallOptions())) {
            XCTAssertEqual(($0 as? DataError)?.kind, .checksumMismatch)
            XCTAssertTrue(String(describing: $0).contains("train-00003.shard"))
        }
        XCTAssertThrowsError(try train(dir + "/nothing", dir + "/run2", smallOptions())) {
            XCTAssertEqual(($0 as? DataError)?.kind, .missingFile)
        }
    }

    func testOptionsOutOfRange() {
        let cases: [(inout TrainingSettings) -> Void] = [
            { $0.batchSize = 0 }, { $0.latentSize = 0 }, { $0.hiddenSizes = [16, 0] }, { $0.epochs = 0 },
            { $0.learningRate = -1 }, { $0.mcSamples = 0 }, { $0.iwaeSamples = 5 },
            { $0.likelihood = .gaussianFixed(sigma: 0) }, { $0.binarize = .dynamic; $0.likelihood = .gaussianLearned },
        ]
        for (i, change) in cases.enumerated() {
            var o = smallOptions()
            change(&o)
            XCTAssertThrowsError(try o.validate(), "case \(i)") {
                guard case .invalidOption? = $0 as? TrainError else { return XCTFail("case \(i): \($0)") }
            }
        }
    }

    func testABatchLargerThanTheDataIsFine() throws {
        let dir = try makeScratchDirectory(self)
        var options = smallOptions(epochs: 1)
        options.batchSize = 1000
        let summary = try train(try makeData(dir), dir + "/run", options)
        XCTAssertEqual(summary.steps, 1)
        XCTAssertTrue(try XCTUnwrap(summary.testNegElbo).isFinite)
    }

    func testNonFiniteLossStopsWithTheStepAndKeepsTheLastCheckpoint() throws {
        let dir = try makeScratchDirectory(self)
        var options = smallOptions()
        options.learningRate = 1e30
        XCTAssertThrowsError(try train(try makeData(dir), dir + "/run", options)) {
            guard case .nonFinite(let step, _)? = $0 as? TrainError else { return XCTFail("\($0)") }
            XCTAssertGreaterThan(step, 0)
            XCTAssertTrue(String(describing: $0).contains("step \(step)"))
        }
        XCTAssertFalse(FileIO.exists(dir + "/run/model.ckpt"))
        for path in RunDirectory(dir + "/run").listCheckpoints() {
            let checkpoint = try Checkpoint.read(from: path)
            XCTAssertTrue(checkpoint.parameters.allSatisfy(\.isFinite), "\(path) holds only finite parameters")
        }
    }
}
