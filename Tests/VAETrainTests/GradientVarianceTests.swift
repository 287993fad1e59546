// The trainer with --estimator and --gradient-variance-every: gradient_variance.csv holds one row
// per estimator and encoder tensor (and one for the whole encoder) at step 1 and every N steps,
// measuring never changes the trained model, a resumed run ends with the same file, and each
// estimator trains.
import Foundation
import TestSupport
import VAECore
import VAEIngest
import VAEShards
import VAEModel
import XCTest
@testable import VAETrain

final class GradientVarianceTests: XCTestCase {
    private func makeData(_ dir: String) throws -> String {
        let out = dir + "/shards"
        _ = try ArtifactWriter.write(SyntheticShapes.input(train: 160, test: 40, size: 12, seed: 1),
                                     parameters: IngestParameters(shardSize: 40, level: 1), to: out, force: false)
        return out
    }

    private func settings(_ estimator: GradientEstimator = .reparameterization, every: Int? = nil) -> TrainingSettings {
        var s = TrainingSettings()
        s.hiddenSizes = [16]
        s.latentSize = 3
        s.batchSize = 16
        s.epochs = 2
        s.checkpointEvery = 4
        s.estimator = estimator
        if let every {
            s.gradientVarianceEvery = every
            s.gradientVarianceDraws = 5
        }
        return s
    }

    @discardableResult
    private func train(_ data: String?, _ run: String, _ settings: TrainingSettings?, resume: Bool = false,
                       stopAfter: Int? = nil) throws -> RunSummary {
        var request = TrainRequest(data: data, runDirectory: run, settings: settings)
        request.resume = resume
        request.threads = 1
        request.stopAfterStep = stopAfter
        return try Trainer(request, progress: ProgressReporter(style: .quiet) { _ in }, warn: { _ in }, stop: StopFlag()).train()
    }

    func testRowsAtStepOneAndEveryNStepsWithoutChangingTraining() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        try train(data, dir + "/plain", settings(.scoreFunctionBaseline))
        try train(data, dir + "/measured", settings(.scoreFunctionBaseline, every: 7))
        XCTAssertFalse(FileIO.exists(dir + "/plain/gradient_variance.csv"))
        // The same parameters: only the settings in the header differ.
        let plain = try Checkpoint.read(from: dir + "/plain/model.ckpt"), measured = try Checkpoint.read(from: dir + "/measured/model.ckpt")
        XCTAssertEqual(plain.parameters, measured.parameters)
        XCTAssertEqual(plain.scoreBaseline, measured.scoreBaseline)
        XCTAssertNotNil(measured.scoreBaseline)

        let lines = try String(contentsOfFile: dir + "/measured/gradient_variance.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(String(lines[0]), "step,estimator,tensor,mean_squared_norm,variance,snr")
        // 20 steps: measured at 1, 7 and 14; 3 estimators x (4 encoder tensors + "encoder").
        XCTAssertEqual(lines.count, 1 + 3 * 3 * 5)
        let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(Set(rows.map { $0[0] }), ["1", "7", "14"])
        XCTAssertEqual(Set(rows.map { $0[1] }), ["reparameterization", "score-function", "score-function-baseline"])
        XCTAssertEqual(Set(rows.map { $0[2] }), ["encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias", "encoder"])
        for row in rows {
            let norm = Double(row[3])!, variance = Double(row[4])!, snr = Double(row[5])!
            XCTAssertGreaterThan(variance, 0)
            XCTAssertEqual(snr, norm / variance, accuracy: 1e-12 * snr)
        }
        func variance(_ step: String, _ estimator: String) -> Double {
            Double(rows.first { $0[0] == step && $0[1] == estimator && $0[2] == "encoder" }![4])!
        }
        XCTAssertGreaterThan(variance("1", "score-function"), variance("1", "reparameterization"))
    }

    func testExactResumedMeasuredRunEndsWithTheSameFile() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        try train(data, dir + "/whole", settings(.scoreFunction, every: 3))
        XCTAssertThrowsError(try train(data, dir + "/parts", settings(.scoreFunction, every: 3), stopAfter: 10))
        try train(nil, dir + "/parts", nil, resume: true)
        XCTAssertEqual(try FileIO.read(dir + "/whole/model.ckpt"), try FileIO.read(dir + "/parts/model.ckpt"))
        XCTAssertEqual(try FileIO.read(dir + "/whole/gradient_variance.csv"), try FileIO.read(dir + "/parts/gradient_variance.csv"))
    }

    func testEveryEstimatorTrains() throws {
        let dir = try makeScratchDirectory(self)
        let data = try makeData(dir)
        for estimator in GradientEstimator.allCases {
            var s = settings(estimator)
            s.epochs = 3
            s.learningRate = 3e-3
            try train(data, dir + "/" + estimator.rawValue, s)
            let lines = try String(contentsOfFile: dir + "/" + estimator.rawValue + "/metrics.csv", encoding: .utf8).split(separator: "\n")
            let column = lines[0].split(separator: ",").firstIndex(of: "train_loss")!
            let first = Double(lines[1].split(separator: ",")[column])!, last = Double(lines[3].split(separator: ",")[column])!
            XCTAssertLessThan(last, first, "\(estimator): train loss \(first) -> \(last)")
        }
    }

    func testBadMeasurementSettingsAreRefused() {
        var s = settings(every: -1)
        XCTAssertThrowsError(try s.validate()) { XCTAssert("\($0)".contains("--gradient-variance-every")) }
        s = settings(every: 5)
        s.gradientVarianceDraws = 1
        XCTAssertThrowsError(try s.validate()) { XCTAssert("\($0)".contains("--gradient-variance-draws must be at least 2")) }
        s.gradientVarianceDraws = TrainingSettings.maxGradientVarianceDraws + 1
        XCTAssertThrowsError(try s.validate())
        XCTAssertThrowsError(try s.checkLimits()) { XCTAssert("\($0)".contains("gradient variance draws")) }
    }
}
