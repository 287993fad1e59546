import Foundation
import TestSupport
import VAECore
import XCTest

/// The built `vae-train`, killed for real and resumed.
final class TrainCommandTests: XCTestCase {
    private let train = executable("vae-train")
    private let settings = ["--hidden", "24", "--latent", "3", "--epochs", "6", "--batch-size", "8",
                            "--checkpoint-every", "5", "--threads", "1", "--seed", "4", "--quiet"]

    private func makeData(_ dir: String) throws -> String {
        let result = try runTool(executable("vae-ingest"), ["synthetic", "--train", "1500", "--test", "50", "--size", "10",
                                                            "--out", dir + "/data", "--shard-size", "200", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return dir + "/data"
    }

    /// Waits until the run has written a checkpoint of step `step` or later, then `delay` seconds.
    private func waitForCheckpoint(_ run: String, step: Int = 1, then delay: Double) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
            if names.contains(where: { Int($0.dropFirst(5).prefix(9)).map { $0 >= step } ?? false }) { break }
            usleep(2000)
        }
        usleep(useconds_t(delay * 1_000_000))
    }

    func testExactSIGKILLAtAnyMomentThenResumeGivesTheUninterruptedModel() throws {
        try assertKilledRunsResumeExactly(settings)
    }

    /// The same with a budget of steps that ends inside an epoch (188 steps an epoch), a KL
    /// warm-up in steps and augmentation, whose draws come from the run's saved generator.
    func testExactSIGKILLWithAStepBudgetAndAugmentationThenResumeGivesTheUninterruptedModel() throws {
        var budget = settings
        budget.replaceSubrange(4 ..< 6, with: ["--steps", "1100", "--kl-warmup", "10%", "--augment", "flip,shift:2"])
        XCTAssertEqual(budget.filter { $0 == "--epochs" }, [])
        try assertKilledRunsResumeExactly(budget)
    }

    /// The same for the IWAE objective with the VampPrior: the pseudo-inputs, drawn from the
    /// training images at the start, are parameters like any other in the checkpoints.
    func testExactSIGKILLWithTheIWAEObjectiveAndTheVampPriorThenResumeGivesTheUninterruptedModel() throws {
        try assertKilledRunsResumeExactly(settings + ["--objective", "iwae", "--train-k", "3", "--prior", "vamp", "--pseudo-inputs", "12"])
    }

    /// Trains with `settings` whole, then killed (SIGKILL) just after the first checkpoint and
    /// mid-run at a moment that is not a checkpoint's, each resumed: the same model.ckpt bytes.
    private func assertKilledRunsResumeExactly(_ settings: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var result = try runTool(train, ["--data", data, "--out", dir + "/whole"] + settings)
        XCTAssertEqual(result.status, 0, result.stderr)

        // About 1,100 steps in all, a checkpoint every 5: killed just after the first, and mid-run at a
        // moment that is not a checkpoint's.
        for (index, (step, delay)) in [(1, 0.0), (400, 0.003)].enumerated() {
            let run = dir + "/killed\(index)"
            let (process, _, _) = try launch(train, ["--data", data, "--out", run] + settings)
            waitForCheckpoint(run, step: step, then: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "killed \(index) before it finished")
            result = try runTool(train, ["--resume", run, "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"), "killed \(index)",
                           file: file, line: line)
        }
    }

    func testSIGTERMWritesACheckpointAndExits143() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let run = dir + "/run"
        let (process, _, err) = try launch(train, ["--data", data, "--out", run] + settings)
        waitForCheckpoint(run, step: 100, then: 0)
        let stderr = interrupt(process, stderr: err, with: [SIGTERM])
        XCTAssertEqual(process.terminationReason, .exit, "it exits by itself rather than dying of the signal")
        XCTAssertEqual(process.terminationStatus, 143, stderr)
        XCTAssertTrue(stderr.contains("interrupted during training at step"), stderr)
        XCTAssertTrue(stderr.contains("Continue with: vae-train --resume \(run)"), stderr)
        let newest = try XCTUnwrap(stderr.split(separator: " ").first { $0.hasSuffix(".ckpt.") }).dropLast()
        XCTAssertTrue(FileIO.exists(String(newest)), "the checkpoint named exists: \(newest)")
    }

    /// Waits until metrics.csv holds `epochs` rows (the training is over), then `delay` seconds.
    private func waitForEpochs(_ run: String, _ epochs: Int, then delay: Double) {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: run + "/metrics.csv", encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count > epochs { break }
            usleep(2000)
        }
        usleep(useconds_t(delay * 1_000_000))
    }

    func testCtrlCDuringTheImportanceWeightedBoundStopsAtOnceAndResumesToTheSameResult() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        // Two epochs, then a bound that takes several seconds.
        let iwae = ["--data", data, "--hidden", "24", "--latent", "3", "--epochs", "2", "--batch-size", "8", "--threads", "1",
                    "--seed", "4", "--quiet", "--iwae-k", "300", "--iwae-n", "50"]
        let whole = try runTool(train, iwae + ["--out", dir + "/whole"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let run = dir + "/run"
        let (process, _, err) = try launch(train, iwae + ["--out", run])
        waitForEpochs(run, 2, then: 0.3)
        XCTAssertTrue(process.isRunning, "still computing the bound when interrupted")
        let start = Date()
        let stderr = interrupt(process, stderr: err, with: [SIGINT])
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, 2, "stopped within about a second")
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted during the importance-weighted bound"), stderr)
        XCTAssertTrue(stderr.contains("Continue with: vae-train --resume \(run)"), stderr)
        XCTAssertFalse(FileIO.exists(run + "/summary.json"))
        XCTAssertFalse(FileIO.exists(run + "/model.ckpt"))
        XCTAssertFalse(directoryListing(run).contains { $0.contains(".tmp-") })

        let resumed = try runTool(train, ["--resume", run, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
        func bound(_ run: String) throws -> Double {
            let object = try JSONSerialization.jsonObject(with: Data(try FileIO.read(run + "/summary.json"))) as? [String: Any]
            return try XCTUnwrap(object?["iwae_nll"] as? Double)
        }
        XCTAssertEqual(try bound(run), try bound(dir + "/whole"))
    }

    func testASecondCtrlCExitsAtOnceLeavingNoTemporaryFile() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let run = dir + "/run"
        let (process, _, err) = try launch(train, ["--data", data, "--out", run] + settings)
        waitForCheckpoint(run, step: 50, then: 0)
        let stderr = interrupt(process, stderr: err, with: [SIGINT, SIGINT], gap: 0.001)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("SIGINT received: stopping"), stderr)
        XCTAssertTrue(stderr.contains("received again: exiting at once") || stderr.contains("Continue with"), stderr)
        for directory in [run, run + "/checkpoints"] {
            XCTAssertFalse(directoryListing(directory).contains { $0.contains(".tmp-") }, "\(directoryListing(directory))")
        }
        // Whatever the second signal cut short, the run resumes.
        let resumed = try runTool(train, ["--resume", run, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }

    func testASummaryThatCannotBeWrittenLeavesTheModelAndResumeFinishes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let run = dir + "/run"
        try FileManager.default.createDirectory(atPath: run + "/summary.json/in-the-way", withIntermediateDirectories: true)
        let options = ["--hidden", "8", "--latent", "2", "--epochs", "1", "--batch-size", "100", "--threads", "1", "--quiet"]
        var result = try runTool(train, ["--data", data, "--out", run] + options)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "warning: 15 optimizer steps in all: probably too short to learn anything (1000 or more with --steps or --epochs; see docs/METHOD.md)\n"
                       + "vae-train: \(run)/summary.json: cannot rename into place: Is a directory. The trained model is "
                       + "saved in \(run)/model.ckpt; once the problem is fixed, vae-train --resume \(run) finishes the run\n")
        let model = try FileIO.read(run + "/model.ckpt")
        try FileManager.default.removeItem(atPath: run + "/summary.json")
        result = try runTool(train, ["--resume", run])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("training is done (step 15); the final evaluation and writes are left"), result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("test negative ELBO "), result.stdout)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(try FileIO.read(run + "/summary.json"))) as? [String: Any])
        XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), model)
    }

    func testBadInputsGiveOneLine() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let cases: [([String], String)] = [
            (["--data", dir + "/none", "--out", dir + "/r1"], "none"),
            (["--data", data, "--out", dir + "/r2", "--batch-size", "0"], "--batch-size"),
            (["--data", data, "--out", dir + "/r3", "--latent", "0"], "--latent"),
            (["--data", data, "--out", dir + "/r4", "--hidden", "32,x"], "--hidden"),
            (["--resume", dir + "/r5"], "r5"),
        ]
        for (arguments, named) in cases {
            let result = try runTool(train, arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(named), "\(arguments): \(result.stderr)")
            if named.hasPrefix("--") {  // an option: ArgumentParser's "Error:" line, then the usage
                XCTAssertTrue(result.stderr.hasPrefix("Error: "), "\(arguments): \(result.stderr)")
            } else {  // a file: exactly one line
                XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(arguments): \(result.stderr)")
            }
        }
        // A checkpoint that is not a checkpoint: resume says so and touches nothing.
        let run = dir + "/run"
        XCTAssertEqual(try runTool(train, ["--data", data, "--out", run, "--epochs", "1", "--quiet"]).status, 0)
        let checkpoints = directoryListing(run + "/checkpoints")
        for name in checkpoints { try AtomicFile.write(Array("hello".utf8), to: run + "/checkpoints/" + name) }
        let result = try runTool(train, ["--resume", run])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("no valid checkpoint"), result.stderr)
        XCTAssertTrue(result.stderr.contains("not a checkpoint"), result.stderr)
        XCTAssertEqual(directoryListing(run + "/checkpoints"), checkpoints)
    }
}
