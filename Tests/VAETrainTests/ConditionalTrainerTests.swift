// vae-train --conditional: a clear error on unlabelled shards before anything is written; on
// labelled ones a run whose checkpoint records the manifest's class names, resumes exactly, and
// whose classes sheet and embedding use the labels.
import Foundation
import TestSupport
import VAECore
import VAEIngest
import VAEShards
import VAEModel
import XCTest
@testable import VAETrain

final class ConditionalTrainerTests: XCTestCase {
    private func run(_ data: String?, _ dir: String, _ settings: TrainingSettings?, resume: Bool = false, stopAfter: Int? = nil) throws {
        var request = TrainRequest(data: data, runDirectory: dir, settings: settings)
        request.resume = resume
        request.threads = 1
        request.stopAfterStep = stopAfter
        _ = try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { _ in }, stop: StopFlag()).train()
    }

    private func settings(_ architecture: Architecture = .mlp) -> TrainingSettings {
        var s = TrainingSettings()
        s.hiddenSizes = architecture == .mlp ? [16] : []
        s.architecture = architecture
        s.latentSize = 3
        s.batchSize = 16
        s.epochs = 2
        s.checkpointEvery = 5
        s.conditional = true
        return s
    }

    func testUnlabelledShardsAreRefusedBeforeTheRunStarts() throws {
        let dir = try makeScratchDirectory(self)
        var input = SyntheticShapes.input(train: 40, test: 10, size: 12, seed: 1)
        input.labelNames = nil
        input.train.labels = nil
        input.test?.labels = nil
        _ = try ArtifactWriter.write(input, parameters: IngestParameters(shardSize: 50, level: 1), to: dir + "/shards", force: false)
        XCTAssertThrowsError(try run(dir + "/shards", dir + "/run", settings())) {
            let message = "\($0)"
            XCTAssert(message.contains("manifest.json") && message.contains("--conditional needs labelled shards"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run/config.json"))
    }

    func testExactConditionalRunsRecordTheClassesAndResume() throws {
        let dir = try makeScratchDirectory(self)
        let data = dir + "/shards"
        _ = try ArtifactWriter.write(SyntheticShapes.input(train: 160, test: 40, size: 12, seed: 1),
                                     parameters: IngestParameters(shardSize: 40, level: 1), to: data, force: false)
        for (name, architecture) in [("mlp", Architecture.mlp), ("conv", .conv(channels: [4, 4]))] {
            try run(data, dir + "/\(name)-whole", settings(architecture))
            XCTAssertThrowsError(try run(data, dir + "/\(name)-parts", settings(architecture), stopAfter: 13))
            try run(nil, dir + "/\(name)-parts", nil, resume: true)
            let whole = try Checkpoint.read(from: dir + "/\(name)-whole/model.ckpt")
            XCTAssertEqual(whole.config.classNames, SyntheticShapes.labelNames)
            XCTAssertEqual(whole.settings.conditional, true)
            XCTAssertEqual(try FileIO.read(dir + "/\(name)-whole/model.ckpt"), try FileIO.read(dir + "/\(name)-parts/model.ckpt"), name)
        }
    }
}
