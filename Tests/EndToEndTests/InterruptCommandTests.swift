// Ctrl-C on the built vae-ingest, vae-embed and vae-generate: they exit at once with status 130 (SIGINT) or
// 143 (SIGTERM), and nothing they were writing is left, under its final name or a temporary one.
import Foundation
import TestSupport
import XCTest

final class InterruptCommandTests: XCTestCase {
    /// A trained checkpoint and shards: 12x12 synthetic shapes, a short run.
    private func makeModel(_ dir: String) throws -> (checkpoint: String, data: String) {
        let ingest = try runTool(executable("vae-ingest"), ["synthetic", "--train", "1500", "--test", "200", "--size", "12",
                                                            "--out", dir + "/data", "--shard-size", "200", "--quiet"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let train = try runTool(executable("vae-train"), ["--data", dir + "/data", "--out", dir + "/run", "--hidden", "16",
                                                          "--latent", "2", "--epochs", "1", "--threads", "1", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        return (dir + "/run/model.ckpt", dir + "/data")
    }

    /// Waits (at most 60 s) until `directory` holds a file whose name contains `part`.
    private func waitForFile(in directory: String, containing part: String) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if directoryListing(directory).contains(where: { $0.contains(part) }) { return true }
            usleep(500)
        }
        return false
    }

    func testCtrlCStopsVaeEmbedAndLeavesNoFile() throws {
        let dir = try makeScratchDirectory(self)
        let (checkpoint, data) = try makeModel(dir)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, 143)] {
            let (process, _, err) = try launch(executable("vae-embed"), ["--checkpoint", checkpoint, "--data", data,
                                                                        "--out", out + "/latents.csv", "--samples", "200"])
            XCTAssertTrue(waitForFile(in: out, containing: ".latents.csv.tmp-"), "the output is being written")
            let stderr = interrupt(process, stderr: err, with: [signal])
            XCTAssertEqual(process.terminationReason, .exit)
            XCTAssertEqual(process.terminationStatus, status, stderr)
            XCTAssertTrue(stderr.hasPrefix("vae-embed: SIG"), stderr)
            XCTAssertEqual(directoryListing(out), [], "no partial output, under any name")
        }
    }

    func testCtrlCStopsVaeGenerateAndLeavesNoFile() throws {
        let dir = try makeScratchDirectory(self)
        let (checkpoint, _) = try makeModel(dir)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // A sheet of 65536 tiles: seconds of work.
        let (process, _, err) = try launch(executable("vae-generate"), ["samples", "--checkpoint", checkpoint, "--rows", "256",
                                                                       "--cols", "256", "--pad", "0", "--out", out + "/s.png"])
        usleep(400_000)
        XCTAssertTrue(process.isRunning, "still drawing when interrupted")
        let start = Date()
        let stderr = interrupt(process, stderr: err, with: [SIGINT])
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertEqual(stderr, "vae-generate samples: SIGINT received: stopped; nothing was written under a final name\n")
        XCTAssertEqual(directoryListing(out), [])
    }

    func testCtrlCStopsVaeIngestAndLeavesNoDirectory() throws {
        let dir = try makeScratchDirectory(self)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // 100,000 images of 28 x 28: seconds of work.
        let (process, _, err) = try launch(executable("vae-ingest"), ["synthetic", "--train", "100000", "--test", "100",
                                                                     "--size", "28", "--out", out + "/shards", "--quiet"])
        XCTAssertTrue(waitForFile(in: out, containing: ".shards.tmp-"), "the artifact is being written")
        usleep(200_000)
        XCTAssertTrue(process.isRunning, "still ingesting when interrupted")
        let stderr = interrupt(process, stderr: err, with: [SIGINT])
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertEqual(stderr, "vae-ingest: SIGINT received: stopped; nothing was written under a final name\n")
        XCTAssertEqual(directoryListing(out), [], "neither the artifact nor its temporary directory")
    }
}
