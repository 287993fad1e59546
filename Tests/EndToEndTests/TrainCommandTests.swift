import Foundation
import TestSupport
import VAEData
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

    func testSIGKILLAtAnyMomentThenResumeGivesTheUninterruptedModel() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var result = try runTool(train, ["--data", data, "--out", dir + "/whole"] + settings)
        XCTAssertEqual(result.status, 0, result.stderr)

        // 1128 steps in all, a checkpoint every 5: killed just after the first, and mid-run at a
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
            XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"), "killed \(index)")
        }
    }

    func testSIGTERMWritesACheckpointAndExits() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let run = dir + "/run"
        let (process, _, err) = try launch(train, ["--data", data, "--out", run] + settings)
        waitForCheckpoint(run, step: 100, then: 0)
        kill(process.processIdentifier, SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertEqual(process.terminationReason, .exit, "it exits by itself rather than dying of the signal")
        XCTAssertTrue(stderr.contains("interrupted at step"), stderr)
        let newest = try XCTUnwrap(stderr.split(separator: " ").first { $0.hasSuffix(".ckpt") })
        XCTAssertTrue(FileIO.exists(String(newest)), "the checkpoint named exists: \(newest)")
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
