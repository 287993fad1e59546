import Foundation
import TestSupport
import VAEData
import VAEModel
import XCTest

/// The built tools under `mpirun -np 2 --oversubscribe` (on a 2-core machine), against the same
/// tools run as one process.
final class ClusterCommandTests: XCTestCase {
    private let train = executable("vae-train")
    private let embed = executable("vae-embed")
    private let ingest = executable("vae-ingest")
    private let settings = ["--hidden", "24", "--latent", "3", "--epochs", "3", "--batch-size", "16",
                            "--checkpoint-every", "5", "--threads", "1", "--seed", "4", "--quiet"]

    /// This test's Open MPI session directories: jobs that share /tmp's default one race when
    /// one ends while another starts ("orte_session_dir failed").
    private var sessions = ""

    override func setUpWithError() throws {
        sessions = try makeScratchDirectory(self, function: "mpi-sessions")
    }

    /// `mpirun -np N` with what this machine needs: --oversubscribe past its cores, and
    /// --allow-run-as-root when the tests run as root.
    private func mpirun(_ n: Int, _ tool: String, _ arguments: [String]) throws -> ProcessResult {
        try runTool("/usr/bin/mpirun", mpirunArguments(n) + [tool] + arguments)
    }

    private func mpirunArguments(_ n: Int) -> [String] {
        ["-np", "\(n)", "--oversubscribe", "--mca", "orte_tmpdir_base", sessions] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
    }

    private func makeData(_ dir: String) throws -> String {
        let result = try runTool(ingest, ["synthetic", "--train", "600", "--test", "120", "--size", "10",
                                          "--out", dir + "/data", "--shard-size", "70", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return dir + "/data"
    }

    private func testNegativeELBO(_ run: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(try FileIO.read(run + "/summary.json"))) as? [String: Any]
        return try XCTUnwrap(object?["test_neg_elbo"] as? Double)
    }

    func testTwoRanksGiveTheSameBytesTwiceAndTheOneProcessLossWithinRounding() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var result = try runTool(train, ["--data", data, "--out", dir + "/one"] + settings)
        XCTAssertEqual(result.status, 0, result.stderr)
        for name in ["two-a", "two-b"] {
            result = try mpirun(2, train, ["--data", data, "--out", dir + "/" + name] + settings)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        XCTAssertEqual(try FileIO.read(dir + "/two-a/model.ckpt"), try FileIO.read(dir + "/two-b/model.ckpt"))
        // The two sums of the gradients differ only in rounding: so do the models' losses.
        let one = try testNegativeELBO(dir + "/one"), two = try testNegativeELBO(dir + "/two-a")
        XCTAssertEqual(two, one, accuracy: 1e-3 * one, "2 ranks \(two), 1 process \(one)")
        // 2 processes of 1 thread slice the batch and sum the gradients as 1 process of 2 threads.
        var threads = settings
        threads[threads.firstIndex(of: "--threads")! + 1] = "2"
        result = try runTool(train, ["--data", data, "--out", dir + "/threads"] + threads)
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertSameTraining(ranks: dir + "/two-a", threads: dir + "/threads")
        // The run records its process count; every tool reads the model.
        let config = String(decoding: try FileIO.read(dir + "/two-a/config.json"), as: UTF8.self)
        XCTAssertTrue(config.contains("\"ranks\" : 2"), config)
        result = try runTool(embed, ["--checkpoint", dir + "/two-a/model.ckpt", "--data", data, "--out", dir + "/latents.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// Asserts that the model.ckpt of run `ranks` (2 processes of 1 thread) holds the bytes of
    /// run `threads`'s (1 process of 2 threads) but for the counts each records (and the settings,
    /// which may differ in what does not change training: taken from `ranks`'s).
    private func assertSameTraining(ranks: String, threads: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try Checkpoint.read(from: ranks + "/model.ckpt")
        var b = try Checkpoint.read(from: threads + "/model.ckpt")
        XCTAssertEqual(a.ranks, 2, file: file, line: line)
        XCTAssertEqual(b.ranks, 1, file: file, line: line)
        XCTAssertEqual(b.threads, 2, file: file, line: line)
        b.ranks = a.ranks
        b.threads = a.threads
        b.settings = a.settings
        XCTAssertEqual(a.parameters, b.parameters, "parameters", file: file, line: line)
        XCTAssertEqual(try a.encoded(), try b.encoded(), "checkpoint bytes", file: file, line: line)
    }

    /// A conditional model, and the score-function estimator with its baseline, across 2 ranks:
    /// the labels of each rank's slice, and the baseline moved by the whole batch's loss on every
    /// rank, give the bytes of 1 process of 2 threads; measuring the gradient's variance (rank 0)
    /// changes nothing.
    func testConditionalAndScoreFunctionRunsOnTwoRanksGiveTheTwoThreadBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var threads = settings
        threads[threads.firstIndex(of: "--threads")! + 1] = "2"
        let variance = ["--gradient-variance-every", "30", "--gradient-variance-draws", "4"]
        for (name, options) in [("conditional", ["--conditional"]),
                                ("baseline", ["--estimator", "score-function-baseline"] + variance)] {
            var result = try mpirun(2, train, ["--data", data, "--out", dir + "/\(name)-ranks"] + settings + options)
            XCTAssertEqual(result.status, 0, result.stderr)
            let single = options.filter { !variance.contains($0) }
            result = try runTool(train, ["--data", data, "--out", dir + "/\(name)-threads"] + threads + single)
            XCTAssertEqual(result.status, 0, result.stderr)
            try assertSameTraining(ranks: dir + "/\(name)-ranks", threads: dir + "/\(name)-threads")
        }
        XCTAssertNotNil(try Checkpoint.read(from: dir + "/baseline-ranks/model.ckpt").scoreBaseline)
        XCTAssertTrue(try Checkpoint.read(from: dir + "/conditional-ranks/model.ckpt").config.isConditional)
        // 3 epochs of 38 steps: measured at steps 1, 30, 60, 90 by rank 0 alone.
        let rows = String(decoding: try FileIO.read(dir + "/baseline-ranks/gradient_variance.csv"), as: UTF8.self)
            .split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } }
        XCTAssertEqual(Set(rows), ["1", "30", "60", "90"])
    }

    /// A conditional run with the score-function baseline, stopped under mpirun and resumed under
    /// mpirun, gives the bytes of the uninterrupted 2-rank run (the baseline saved and restored).
    func testConditionalScoreFunctionRunResumedOnTwoRanksGivesTheUninterruptedBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        let options = settings + ["--conditional", "--estimator", "score-function-baseline"]
        var result = try mpirun(2, train, ["--data", data, "--out", dir + "/whole"] + options)
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try mpirun(2, train, ["--data", data, "--out", dir + "/run", "--stop-after-step", "23"] + options)
        XCTAssertEqual(result.status, 143, result.stderr)
        XCTAssertNotNil(try Checkpoint.read(from: dir + "/run/checkpoints/step-000000023.ckpt").scoreBaseline)
        result = try mpirun(2, train, ["--resume", dir + "/run", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileIO.read(dir + "/run/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
    }

    /// Data and a model trained on it by one process, in `dir`.
    private func makeTrainedRun(_ dir: String) throws -> String {
        let data = try makeData(dir)
        let result = try runTool(train, ["--data", data, "--out", dir + "/run"] + settings)
        XCTAssertEqual(result.status, 0, result.stderr)
        return data
    }

    func testTwoRankEmbedWritesTheOneProcessBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeTrainedRun(dir)
        var result: ProcessResult
        // 9 train and 2 test shards: rounds of 2 with a last one of 1; batches smaller than a shard.
        for options in [["--samples", "2", "--with-logvar", "--batch-size", "16"], ["--split", "test"]] {
            let common = ["--checkpoint", dir + "/run/model.ckpt", "--data", data] + options
            result = try runTool(embed, common + ["--out", dir + "/one.csv"])
            XCTAssertEqual(result.status, 0, result.stderr)
            for n in [2, 3] {
                result = try mpirun(n, embed, common + ["--out", dir + "/many.csv"])
                XCTAssertEqual(result.status, 0, result.stderr)
                XCTAssertEqual(try FileIO.read(dir + "/many.csv"), try FileIO.read(dir + "/one.csv"), "\(n) ranks, \(options)")
            }
        }
    }

    func testIngestUnderMpirunWritesTheOneProcessArtifactOnce() throws {
        let dir = try makeScratchDirectory(self)
        let arguments = ["synthetic", "--train", "700", "--test", "90", "--size", "10", "--shard-size", "64", "--quiet"]
        var result = try runTool(ingest, arguments + ["--out", dir + "/one"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try mpirun(2, ingest, arguments + ["--out", dir + "/two"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let names = directoryListing(dir + "/one")
        XCTAssertEqual(directoryListing(dir + "/two"), names)
        XCTAssertEqual(directoryListing(dir).filter { $0.hasPrefix(".") }, [], "a temporary directory left behind")
        for name in names {
            XCTAssertEqual(try FileIO.read(dir + "/two/" + name), try FileIO.read(dir + "/one/" + name), name)
        }
    }

    func testSIGKILLOfOneRankThenTwoRankResumeGivesTheUninterruptedBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var long = settings
        long[long.firstIndex(of: "--epochs")! + 1] = "4"  // 152 steps
        var result = try mpirun(2, train, ["--data", data, "--out", dir + "/whole"] + long)
        XCTAssertEqual(result.status, 0, result.stderr)

        let run = dir + "/killed"
        let (process, _, _) = try launch("/usr/bin/mpirun", mpirunArguments(2) + [train, "--data", data, "--out", run] + long)
        // Wait for the step-40 checkpoint, then kill rank 1 (found by its OMPI_COMM_WORLD_RANK).
        let deadline = Date().addingTimeInterval(120)
        var rank1: pid_t?
        while Date() < deadline, rank1 == nil {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
            if names.contains(where: { Int($0.dropFirst(5).prefix(9)).map { $0 >= 40 } ?? false }) {
                rank1 = rankProcess(1, under: process.processIdentifier)
            }
            usleep(2000)
        }
        let victim = try XCTUnwrap(rank1, "rank 1 of the job was not found")
        kill(victim, SIGKILL)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, "the job went on without rank 1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/model.ckpt"), "killed before it finished")

        result = try mpirun(2, train, ["--resume", run, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"))
    }

    func testResumeUnderAnotherProcessCountIsRefused() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var result = try mpirun(2, train, ["--data", data, "--out", dir + "/run", "--stop-after-step", "20"] + settings)
        XCTAssertEqual(result.status, 143, result.stderr)
        // Every rank stopped after step 20; rank 0 wrote its checkpoint and alone said so.
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/checkpoints/step-000000020.ckpt"), result.stderr)
        XCTAssertTrue(result.stderr.contains("vae-train: rank 0: "), result.stderr)
        XCTAssertFalse(result.stderr.contains("vae-train: rank 1"), result.stderr)  // (mpirun's own banner may name rank 1)
        result = try runTool(train, ["--resume", dir + "/run", "--quiet"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("trained by 2 processes and this is 1; resume it with mpirun -np 2"), result.stderr)
        result = try mpirun(2, train, ["--resume", dir + "/run", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testABadShardSeenByRankOneStopsTheJobNamingRankAndFile() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeTrainedRun(dir)
        // Shard 1 of the train split goes to rank 1 (shards are dealt round-robin).
        let shard = data + "/train-00001.shard"
        var bytes = try FileIO.read(shard)
        bytes[bytes.count - 10] ^= 0xFF
        try AtomicFile.write(bytes, to: shard)
        let result = try mpirun(2, embed, ["--checkpoint", dir + "/run/model.ckpt", "--data", data, "--out", dir + "/latents.csv"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("vae-embed: rank 1: \(shard): "), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/latents.csv"))
    }

    /// The process of `rank` among the children of mpirun `parent`.
    private func rankProcess(_ rank: Int, under parent: pid_t) -> pid_t? {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in all {
            guard let pid = pid_t(name),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent,
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
