import Foundation
import TestSupport
import VAECore
import VAEModel
import VAETrain
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

    func testExactTwoRanksGiveTheSameBytesTwiceAndTheOneProcessLossWithinRounding() throws {
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
        let one = try testNegativeELBO(ofRun: dir + "/one"), two = try testNegativeELBO(ofRun: dir + "/two-a")
        XCTAssertEqual(two, one, accuracy: 1e-3 * one, "2 ranks \(two), 1 process \(one)")
        // 2 processes of 1 thread slice the batch and sum the gradients as 1 process of 2 threads.
        var threads = settings
        threads[threads.firstIndex(of: "--threads")! + 1] = "2"
        result = try runTool(train, ["--data", data, "--out", dir + "/threads"] + threads)
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertSameTraining(ranks: dir + "/two-a", threads: dir + "/threads", count: 2)
        // The run records its process count; every tool reads the model.
        let config = String(decoding: try FileIO.read(dir + "/two-a/config.json"), as: UTF8.self)
        XCTAssertTrue(config.contains("\"ranks\" : 2"), config)
        result = try runTool(embed, ["--checkpoint", dir + "/two-a/model.ckpt", "--data", data, "--out", dir + "/latents.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// A conditional model, the score-function estimator with its baseline, and the IWAE objective
    /// with the VampPrior, across 2 ranks: the labels of each rank's slice, the baseline moved by
    /// the whole batch's loss on every rank, and each rank's pass over the pseudo-inputs give the
    /// bytes of 1 process of 2 threads; measuring the gradient's variance (rank 0) changes nothing.
    func testExactConditionalAndScoreFunctionRunsOnTwoRanksGiveTheTwoThreadBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var threads = settings
        threads[threads.firstIndex(of: "--threads")! + 1] = "2"
        let variance = ["--gradient-variance-every", "30", "--gradient-variance-draws", "4"]
        let iwaeVamp = ["--objective", "iwae", "--train-k", "3", "--prior", "vamp", "--pseudo-inputs", "7"]
        for (name, options) in [("conditional", ["--conditional"]),
                                ("baseline", ["--estimator", "score-function-baseline"] + variance),
                                ("iwae-vamp", iwaeVamp)] {
            var result = try mpirun(2, train, ["--data", data, "--out", dir + "/\(name)-ranks"] + settings + options)
            XCTAssertEqual(result.status, 0, result.stderr)
            let single = options.filter { !variance.contains($0) }
            result = try runTool(train, ["--data", data, "--out", dir + "/\(name)-threads"] + threads + single)
            XCTAssertEqual(result.status, 0, result.stderr)
            try assertSameTraining(ranks: dir + "/\(name)-ranks", threads: dir + "/\(name)-threads", count: 2)
        }
        XCTAssertNotNil(try Checkpoint.read(from: dir + "/baseline-ranks/model.ckpt").scoreBaseline)
        XCTAssertTrue(try Checkpoint.read(from: dir + "/conditional-ranks/model.ckpt").config.isConditional)
        XCTAssertEqual(try Checkpoint.read(from: dir + "/iwae-vamp-ranks/model.ckpt").config.prior, .vamp(pseudoInputs: 7))
        // 3 epochs of 38 steps: measured at steps 1, 30, 60, 90 by rank 0 alone.
        let rows = String(decoding: try FileIO.read(dir + "/baseline-ranks/gradient_variance.csv"), as: UTF8.self)
            .split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } }
        XCTAssertEqual(Set(rows), ["1", "30", "60", "90"])
    }

    /// A conditional run with the score-function baseline, stopped under mpirun and resumed under
    /// mpirun, gives the bytes of the uninterrupted 2-rank run (the baseline saved and restored).
    func testExactConditionalScoreFunctionRunResumedOnTwoRanksGivesTheUninterruptedBytes() throws {
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

    func testExactTwoRankEmbedWritesTheOneProcessBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeTrainedRun(dir)
        var result: ProcessResult
        // 9 train and 2 test shards: rounds of 2 with a last one of 1; batches smaller than a shard.
        for options in [["--samples", "2", "--with-logvar", "--batch-size", "16"], ["--split", "test"]] {
            let common = ["--checkpoint", dir + "/run/model.ckpt", "--data", data] + options
            result = try runTool(embed, common + ["--out", dir + "/one.csv"])
            XCTAssertEqual(result.status, 0, result.stderr)
            // The threads share the batches; the bytes do not depend on how many.
            for t in ["1", "3"] {
                result = try runTool(embed, common + ["--threads", t, "--out", dir + "/threads.csv"])
                XCTAssertEqual(result.status, 0, result.stderr)
                XCTAssertEqual(try FileIO.read(dir + "/threads.csv"), try FileIO.read(dir + "/one.csv"), "\(t) threads, \(options)")
            }
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

    /// SIGKILL of rank 1: mpirun ends the job. SIGKILL of mpirun: its ranks, orphaned, die. Each
    /// time the run directory holds only complete checkpoints (and temporaries, which resume
    /// removes), and `--resume` under 2 ranks gives the uninterrupted 2-rank run's bytes.
    func testExactSIGKILLOfARankOrOfMpirunThenTwoRankResumeGivesTheUninterruptedBytes() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var long = settings
        // 912 steps: orphaned ranks go on for about a second before they end, and must not
        // reach the end in it.
        long[long.firstIndex(of: "--epochs")! + 1] = "24"
        var result = try mpirun(2, train, ["--data", data, "--out", dir + "/whole"] + long)
        XCTAssertEqual(result.status, 0, result.stderr)
        for name in ["rank-1", "mpirun"] {
            let run = dir + "/" + name
            let (process, ranks, _) = try startTraining(data, run, long, killAfterStep: 10)
            guard ranks.count == 2 else { continue }
            kill(name == "rank-1" ? ranks[1] : process.processIdentifier, SIGKILL)
            for rank in ranks { kill(rank, SIGCONT) }
            process.waitUntilExit()
            try assertJobEnded(process, ranks, run, name)
            result = try mpirun(2, train, ["--resume", run, "--quiet"])
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            XCTAssertEqual(try FileIO.read(run + "/model.ckpt"), try FileIO.read(dir + "/whole/model.ckpt"), name)
        }
    }

    /// SIGTERM to mpirun: it sends SIGCONT to the ranks, then SIGTERM and SIGKILL, each after
    /// odls_base_sigkill_timeout seconds (default 1; 10 here, so that a loaded machine, too, stops
    /// within it). The ranks stop after the same step, rank 0 writes its checkpoint and alone
    /// says so, and the run resumes from it.
    func testSIGTERMToMpirunStopsEveryRankAtACheckpoint() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var long = settings
        long[long.firstIndex(of: "--epochs")! + 1] = "100"  // 3,800 steps: still running when the ranks get SIGTERM
        let run = dir + "/run"
        let (process, ranks, err) = try startTraining(data, run, long, killAfterStep: 10, mpirunOptions: ["--mca", "odls_base_sigkill_timeout", "10"])
        guard ranks.count == 2 else { return }
        kill(process.processIdentifier, SIGTERM)
        for rank in ranks { kill(rank, SIGCONT) }  // (mpirun sends SIGCONT too, before its SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try assertJobEnded(process, ranks, run, "SIGTERM")
        let step = try XCTUnwrap(checkpointSteps(run).max())
        XCTAssertTrue(stderr.contains("vae-train: rank 0: interrupted during "), stderr)  // training, or rank 0's evaluation
        XCTAssertTrue(stderr.contains("checkpoint written to \(run)/checkpoints/step-\(String(format: "%09d", step)).ckpt"), stderr)
        XCTAssertEqual(stderr.split(separator: "\n").filter { $0.hasPrefix("vae-train") }.count, 2, stderr)  // received, interrupted
        // It resumes there (to the uninterrupted bytes: as any stop, see the conditional run's test).
        let result = try mpirun(2, train, ["--resume", run, "--quiet", "--stop-after-step", "\(step + 3)"])
        XCTAssertEqual(result.status, 143, result.stderr)
        XCTAssertTrue(checkpointSteps(run).contains(step + 3), result.stderr)
    }

    /// Starts `mpirun -np 2 vae-train` on `data` into `run`, finds its ranks' processes (by their
    /// OMPI_COMM_WORLD_RANK; the test fails if they are not both there), and stops them (SIGSTOP)
    /// as soon as a checkpoint at `killAfterStep` or later appears, so that the job cannot end
    /// before the test kills it, however fast the machine. The caller sends SIGCONT after the kill.
    private func startTraining(_ data: String, _ run: String, _ options: [String], killAfterStep step: Int,
                               mpirunOptions: [String] = []) throws -> (Process, [pid_t], Pipe) {
        let (process, _, err) = try launch("/usr/bin/mpirun", mpirunArguments(2) + mpirunOptions + [train, "--data", data, "--out", run] + options)
        let deadline = Date().addingTimeInterval(120)
        var ranks: [pid_t] = []
        while Date() < deadline, process.isRunning, ranks.count < 2 {
            ranks = [0, 1].compactMap { rankProcess($0, under: process.processIdentifier) }
            if ranks.count < 2 { usleep(2000) }
        }
        guard ranks.count == 2 else {
            XCTFail("\(run): the ranks of the job were not found")
            process.terminate()
            return (process, ranks, err)
        }
        while Date() < deadline, !checkpointSteps(run).contains(where: { $0 >= step }) { usleep(1000) }
        for rank in ranks { kill(rank, SIGSTOP) }
        return (process, ranks, err)
    }

    /// Asserts that the job of `process` failed, that every rank is gone (orphans are not
    /// mpirun's to reap: waits up to 60 s), and that `run` holds only complete checkpoints.
    private func assertJobEnded(_ process: Process, _ ranks: [pid_t], _ run: String, _ name: String) throws {
        let gone = Date().addingTimeInterval(60)
        while Date() < gone, ranks.contains(where: isAlive) { usleep(10000) }
        XCTAssertFalse(ranks.contains(where: isAlive), "\(name): a rank outlived the job")
        XCTAssertNotEqual(process.terminationStatus, 0, name)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/model.ckpt"), "\(name): killed before it finished")
        let names = directoryListing(run + "/checkpoints").filter { !AtomicFile.isTemporaryName($0) }
        XCTAssertFalse(names.isEmpty, name)
        for checkpoint in names {
            XCTAssertNoThrow(try Checkpoint.read(from: run + "/checkpoints/" + checkpoint), "\(name): \(checkpoint)")
        }
    }

    /// The steps of the checkpoints in `run`/checkpoints.
    private func checkpointSteps(_ run: String) -> [Int] {
        directoryListing(run + "/checkpoints").compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5).prefix(9)) : nil }
    }

    /// Whether process `pid` exists and is not a zombie.
    private func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    func testResumeUnderAnotherProcessCountIsRefused() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        var result = try mpirun(2, train, ["--data", data, "--out", dir + "/run", "--stop-after-step", "20"] + settings)
        XCTAssertEqual(result.status, 143, result.stderr)
        // Every rank stopped after step 20; rank 0 wrote its checkpoint and alone said so.
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/checkpoints/step-000000020.ckpt"), result.stderr)
        XCTAssertTrue(result.stderr.contains("vae-train: rank 0: interrupted during training at step 20"), result.stderr)
        XCTAssertFalse(result.stderr.contains("vae-train: rank 1"), result.stderr)
        XCTAssertFalse(result.stderr.contains("MPI_ABORT"), result.stderr)
        result = try runTool(train, ["--resume", dir + "/run", "--quiet"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("trained by 2 processes and this is 1; resume it with mpirun -np 2"), result.stderr)
        result = try mpirun(2, train, ["--resume", dir + "/run", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// A failure on one rank ends the job with one line naming the rank, the file and the
    /// problem: the ranks agree on it and exit together, with no MPI_ABORT. mpirun adds its own
    /// report of a non-zero exit unless run with -q.
    func testAFailingRankEndsTheJobWithOneLineNamingRankAndFile() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeTrainedRun(dir)
        // Shard 1 of the train split goes to rank 1 (shards are dealt round-robin).
        let shard = data + "/train-00001.shard"
        var bytes = try FileIO.read(shard)
        bytes[bytes.count - 10] ^= 0xFF
        try AtomicFile.write(bytes, to: shard)
        let embedding = [embed, "--checkpoint", dir + "/run/model.ckpt", "--data", data, "--out", dir + "/latents.csv"]
        let line = "vae-embed: rank 1: \(shard): shard checksum mismatch: the file is corrupt\n"
        var result = try runTool("/usr/bin/mpirun", ["-q"] + mpirunArguments(2) + embedding)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/latents.csv"))
        result = try runTool("/usr/bin/mpirun", mpirunArguments(2) + embedding)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains(line), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.hasPrefix("vae-") }.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("mpirun detected that one or more processes exited with non-zero status"), result.stderr)
        XCTAssertFalse(result.stderr.contains("MPI_ABORT"), result.stderr)
        XCTAssertEqual(directoryListing(dir).filter { $0.hasPrefix(".") }, [], "a temporary file left behind")

        // Rank 0 fails before the others start: they wait for it and end with it.
        result = try runTool("/usr/bin/mpirun", ["-q"] + mpirunArguments(2) + [train, "--data", data, "--out", dir + "/run"] + settings)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "vae-train: rank 0: \(dir)/run: already holds a run (checkpoints or config.json); use --resume to continue it or --force to start over\n")
        // Every rank reads the corrupt shard in training: the lowest, rank 0, says so.
        result = try runTool("/usr/bin/mpirun", ["-q"] + mpirunArguments(2) + [train, "--data", data, "--out", dir + "/bad"] + settings)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "warning: 114 optimizer steps in all: probably too short to learn anything (1000 or more with --steps or --epochs; see docs/METHOD.md)\n"
                                      + "vae-train: rank 0: \(shard): shard checksum mismatch: the file is corrupt\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad/model.ckpt"))
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
