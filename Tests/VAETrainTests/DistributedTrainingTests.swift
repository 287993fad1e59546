// Data-parallel training across N ranks played by N threads of this process (TestSupport's
// `ThreadRanks`), as `mpirun -np N vae-train` runs it: the same request on every rank, rank 0
// alone writing the run directory. N ranks of 1 thread give the checkpoint bytes of 1 process of N
// threads (docs/DISTRIBUTED.md), and a run stopped and resumed on N ranks the uninterrupted
// run's. (mpirun itself: EndToEndTests' ClusterCommandTests.)
import Foundation
import TestSupport
import VAECluster
import VAECore
import VAEIngest
import VAEModel
import VAEShards
import XCTest
@testable import VAETrain

final class DistributedTrainingTests: XCTestCase {
    /// 12x12 shapes, 300 train examples in shards of 50 (19 steps of 16 an epoch, the last of 12)
    /// and 60 test examples.
    private func makeShards(_ dir: String) throws -> String {
        _ = try ArtifactWriter.write(SyntheticShapes.input(train: 300, test: 60, size: 12, seed: 5),
                                     parameters: IngestParameters(shardSize: 50, level: 1), to: dir + "/shards", force: false)
        return dir + "/shards"
    }

    /// A small model whose steps make every kind of draw: binarization, and two samples of z.
    private func tinySettings(epochs: Int = 3, conditional: Bool = false,
                              estimator: GradientEstimator = .reparameterization) -> TrainingSettings {
        var s = TrainingSettings()
        s.hiddenSizes = [16]
        s.latentSize = 3
        s.batchSize = 16
        s.epochs = epochs
        s.checkpointEvery = 7
        s.shuffleWindow = 2
        s.binarize = .dynamic
        s.mcSamples = 2
        s.conditional = conditional
        s.estimator = estimator
        return s
    }

    /// A request of `threads` threads; a resumed one (no data, no settings) takes the run's own count.
    private func request(_ data: String?, _ run: String, _ settings: TrainingSettings?, threads: Int? = 1,
                         stopAfter: Int? = nil) -> TrainRequest {
        var request = TrainRequest(data: data, runDirectory: run, settings: settings)
        request.resume = settings == nil
        request.threads = threads
        request.stopAfterStep = stopAfter
        return request
    }

    /// Trains `request` on `ranks` thread ranks; returns each rank's outcome, in rank order.
    private func trainOnRanks(_ ranks: Int, _ request: TrainRequest) -> [Result<RunSummary, any Error>] {
        ThreadRanks.results(size: ranks) { cluster in
            var request = request
            request.cluster = cluster
            return try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { _ in }, stop: StopFlag()).train()
        }
    }

    /// Trains `request` in this process alone.
    @discardableResult
    private func trainAlone(_ request: TrainRequest) throws -> RunSummary {
        try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { _ in }, stop: StopFlag()).train()
    }

    /// The plain model, a conditional one, and the score-function estimator with its baseline: on
    /// 2 and 3 ranks (slices of 8 and 8; 6, 5 and 5) the bytes of 1 process of as many threads.
    func testExactTwoAndThreeThreadRanksGiveTheCheckpointOfOneProcessOfAsManyThreads() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeShards(dir)
        let variants = [("plain", tinySettings(epochs: 2)), ("conditional", tinySettings(epochs: 2, conditional: true)),
                        ("baseline", tinySettings(epochs: 2, estimator: .scoreFunctionBaseline))]
        for n in [2, 3] {
            for (name, settings) in variants {
                let ranks = dir + "/\(name)-\(n)-ranks", threads = dir + "/\(name)-\(n)-threads"
                let outcomes = trainOnRanks(n, request(data, ranks, settings))
                let summaries = try outcomes.map { try $0.get() }
                XCTAssertEqual(summaries[0].steps, 2 * 19)
                for rank in 1 ..< n { XCTAssertEqual(summaries[rank].epochs, 0, "rank \(rank) evaluates nothing") }
                try trainAlone(request(data, threads, settings, threads: n))
                try assertSameTraining(ranks: ranks, threads: threads, count: n)
                let config = try JSONCoding.decode(RunConfig.self, from: try FileIO.read(ranks + "/config.json"), path: ranks)
                XCTAssertEqual(config.rankCount, n, name)
            }
        }
    }

    /// A conditional run with the score-function baseline stopped twice on N ranks (in the first
    /// and the second epoch, between periodic checkpoints) and resumed on N ranks ends with the
    /// bytes of the uninterrupted N-rank run.
    func testExactStoppedAndResumedThreadRankRunEndsIdenticalToAnUninterruptedOne() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeShards(dir)
        let settings = tinySettings(conditional: true, estimator: .scoreFunctionBaseline)
        for n in [2, 3] {
            let whole = dir + "/whole-\(n)", parts = dir + "/parts-\(n)"
            _ = try trainOnRanks(n, request(data, whole, settings)).map { try $0.get() }
            for (i, stop) in [13, 31].enumerated() {
                let outcomes = trainOnRanks(n, request(i == 0 ? data : nil, parts, i == 0 ? settings : nil, threads: i == 0 ? 1 : nil,
                                                       stopAfter: stop))
                // Every rank stops after the same step; rank 0 writes the checkpoint.
                for (rank, outcome) in outcomes.enumerated() {
                    XCTAssertThrowsError(try outcome.get(), "rank \(rank)") {
                        guard case .interrupted(let step, let phase, _, _, let signal)? = $0 as? TrainError else { return XCTFail("rank \(rank): \($0)") }
                        XCTAssertEqual([step, Int(signal)], [stop, Int(SIGTERM)], "rank \(rank)")
                        XCTAssertEqual(phase, .training, "rank \(rank)")
                    }
                }
                XCTAssertNotNil(try Checkpoint.read(from: RunDirectory(parts).checkpoint(step: stop)).scoreBaseline)
            }
            _ = try trainOnRanks(n, request(nil, parts, nil, threads: nil)).map { try $0.get() }
            XCTAssertEqual(try FileIO.read(parts + "/model.ckpt"), try FileIO.read(whole + "/model.ckpt"), "\(n) ranks")
        }
    }

    /// A run of 2 ranks resumed on 3: rank 0 refuses it, and the others end with its failure.
    func testResumeOnAnotherRankCountIsRefusedOnEveryRank() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeShards(dir)
        let run = dir + "/run"
        _ = trainOnRanks(2, request(data, run, tinySettings(), stopAfter: 5))
        let outcomes = trainOnRanks(3, request(nil, run, nil, threads: nil))
        XCTAssertThrowsError(try outcomes[0].get()) {
            XCTAssertTrue("\($0)".contains("the run was trained by 2 processes and this is 3; resume it with mpirun -np 2"), "\($0)")
        }
        for rank in 1 ..< 3 {
            XCTAssertThrowsError(try outcomes[rank].get()) {
                XCTAssertEqual(($0 as? PeerFailure)?.rank, 0, "rank \(rank): \($0)")
                XCTAssertEqual(($0 as? PeerFailure)?.status, 1, "rank \(rank): \($0)")
            }
        }
    }
}
