// The trainer with the convolutional architecture: a run stopped and resumed ends byte-identical
// to an uninterrupted one, and image sizes the convolutions cannot halve are refused before a run
// directory is written. (--arch and --channels on the command line: CommandTests.)
import Foundation
import TestSupport
import VAECore
import VAEIngest
import VAEShards
import VAEModel
import XCTest
@testable import VAETrain

final class ConvTrainerTests: XCTestCase {
    func run(_ data: String?, _ dir: String, _ settings: TrainingSettings?, resume: Bool = false, stopAfter: Int? = nil) throws {
        var request = TrainRequest(data: data, runDirectory: dir, settings: settings)
        request.resume = resume
        request.threads = 2
        request.stopAfterStep = stopAfter
        _ = try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { _ in }, stop: StopFlag()).train()
    }

    func testExactStoppedAndResumedConvRunEndsIdenticalToAnUninterruptedOne() throws {
        let dir = try makeScratchDirectory(self)
        let data = dir + "/shards"
        _ = try ArtifactWriter.write(SyntheticShapes.input(train: 200, test: 40, size: 12, seed: 1),
                                     parameters: IngestParameters(shardSize: 50, level: 1), to: data, force: false)
        var options = TrainingSettings()
        options.architecture = .conv(channels: [4, 6])
        options.latentSize = 3
        options.batchSize = 16
        options.epochs = 2
        options.checkpointEvery = 5
        try run(data, dir + "/whole", options)
        XCTAssertThrowsError(try run(data, dir + "/parts", options, stopAfter: 17))
        try run(nil, dir + "/parts", nil, resume: true)
        let whole = try Checkpoint.read(from: dir + "/whole/model.ckpt")
        XCTAssertEqual(whole.config.architecture, .conv(channels: [4, 6]))
        XCTAssertEqual([whole.config.imageHeight, whole.config.imageWidth, whole.config.imageChannels], [12, 12, 1])
        XCTAssertEqual(try FileIO.read(dir + "/whole/model.ckpt"), try FileIO.read(dir + "/parts/model.ckpt"))
    }

    func testImagesTheConvolutionsCannotHalveAreRefusedBeforeTheRunStarts() throws {
        let dir = try makeScratchDirectory(self)
        let data = dir + "/shards"
        _ = try ArtifactWriter.write(SyntheticShapes.input(train: 20, test: 10, size: 12, seed: 1),
                                     parameters: IngestParameters(shardSize: 50, level: 1), to: data, force: false)
        var options = TrainingSettings()
        options.architecture = .conv(channels: [4, 6, 8])  // 12 is not divisible by 8
        XCTAssertThrowsError(try run(data, dir + "/run", options)) {
            XCTAssert(String(describing: $0).contains("divisible by 8, the images are 12x12"), String(describing: $0))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run/config.json"))
    }
}
