// The conditional VAE, q(z|x,y) and p(x|z,y): gradient checks of the MLP ([x | y] and [z | y]) and
// the conv model (y as constant planes, [z | y] into the projection) against finite differences
// of the reference, which builds its inputs by its own plain code; the layout's extra inputs; the
// label reaching the decoder; class names in the config (and so in checkpoints), absent for other
// models.
import XCTest
import VAECore
@testable import VAEModel

final class ConditionalModelTests: XCTestCase {
    static let names = ["T-shirt/top", "Trouser", "Pullover"]

    func conditional(_ c: ModelConfig) -> ModelConfig {
        var c = c
        c.classNames = Self.names
        return c
    }

    func testConditionalMLPGradientsOneHiddenTwoSamples() throws {
        try GradientCheck.assertPasses(conditional(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3)), samples: 2)
    }

    func testConditionalMLPGradientsNoHiddenGaussianLearned() throws {
        try GradientCheck.assertPasses(conditional(ModelConfig(inputSize: 6, hiddenSizes: [], latentSize: 2,
                                                               likelihood: .gaussianLearned)), samples: 1)
    }

    func testConditionalMLPGradientsTwoHidden() throws {
        try GradientCheck.assertPasses(conditional(ModelConfig(inputSize: 21, hiddenSizes: [7, 5], latentSize: 3)), samples: 1, count: 5)
    }

    func testConditionalConvGradientsGray() throws {
        try GradientCheck.assertPasses(conditional(.conv(height: 4, width: 8, channels: 1, convChannels: [3, 2], latentSize: 2)), samples: 2)
    }

    func testConditionalConvGradientsRGB() throws {
        try GradientCheck.assertPasses(conditional(.conv(height: 4, width: 4, channels: 3, convChannels: [2], latentSize: 3,
                                                         likelihood: .gaussianFixed(sigma: 0.5))), samples: 1)
    }

    func testCheckCatchesOnePercentErrorConditional() throws {
        try GradientCheck.assertCatchesOnePercentError(conditional(ModelConfig(inputSize: 6, hiddenSizes: [4], latentSize: 2)), samples: 1)
        try GradientCheck.assertCatchesOnePercentError(conditional(.conv(height: 4, width: 4, channels: 1, convChannels: [2], latentSize: 2)),
                                                       samples: 1)
    }

    func testLayoutTakesTheOneHotInputs() {
        let mlp = ParameterLayout(config: conditional(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3)))
        XCTAssertEqual(mlp.encoder[0].inputs, 6 + 3)
        XCTAssertEqual(mlp.decoder[0].inputs, 3 + 3)
        let conv = ParameterLayout(config: conditional(.conv(height: 4, width: 4, channels: 3, convChannels: [2], latentSize: 3)))
        XCTAssertEqual(conv.convEncoder[0].inChannels, 3 + 3)
        XCTAssertEqual(conv.decoder[0].inputs, 3 + 3)
        XCTAssertEqual(conv.convDecoder.last!.outChannels, 3, "the decoder still makes the image's channels")
    }

    func testTheLabelChangesWhatIsDecoded() throws {
        let model = try VAE(config: conditional(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3)), seed: 2)
        let z = TestData.normals(3 * 3, seed: 1)
        let sameZ = Array(z[0 ..< 3]) + Array(z[0 ..< 3]) + Array(z[0 ..< 3])
        var means = [Float](repeating: 0, count: 3 * 6)
        model.decode(z: sameZ, count: 3, means: &means, labels: [0, 1, 0])
        XCTAssertEqual(Array(means[0 ..< 6]), Array(means[12 ..< 18]), "same z, same class")
        XCTAssertNotEqual(Array(means[0 ..< 6]), Array(means[6 ..< 12]), "same z, another class")
    }

    func testClassNamesTravelInTheConfigAndOldConfigsHaveNone() throws {
        let config = conditional(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3, imageHeight: 2, imageWidth: 3))
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(config)), config)

        let plain = try JSONEncoder().encode(ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 3))
        XCTAssertFalse(String(decoding: plain, as: UTF8.self).contains("classNames"))
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: plain).classNames, [])

        var duplicate = config
        duplicate.classNames = ["a", "a"]
        XCTAssertThrowsError(try duplicate.validate()) { XCTAssert("\($0)".contains("distinct")) }
    }
}

/// The conditional model and the score-function estimators on several threads: each slice takes
/// its own examples' labels, and the gradients agree with one thread's within rounding.
final class ConditionalSliceThreadsTests: XCTestCase {
    func gradients(_ config: ModelConfig, threads: Int, estimator: GradientEstimator) throws -> [Float] {
        let count = 11
        let model = try VAE(config: config, seed: 4, batchCapacity: 4)
        model.useThreads(threads)
        model.estimator = estimator
        model.scoreBaseline = ScoreBaseline(value: 3)
        let x = TestData.uniform(count * config.inputSize, seed: 5)
        let eps = TestData.normals(2 * count * config.latentSize, seed: 7)
        let labels = (0 ..< count).map { UInt16($0 % config.classCount) }
        model.computeGradients(batch: x, count: count, beta: 0.9, samples: 2, eps: eps, labels: labels)
        return Array(model.gradients)
    }

    func testTwoThreadsAgreeWithOne() throws {
        var mlp = ModelConfig(inputSize: 12, hiddenSizes: [7], latentSize: 3)
        mlp.classNames = ["a", "b", "c"]
        var conv = ModelConfig.conv(height: 4, width: 4, channels: 1, convChannels: [2], latentSize: 2)
        conv.classNames = ["a", "b", "c"]
        for config in [mlp, conv] {
            for estimator in GradientEstimator.allCases {
                let one = try gradients(config, threads: 1, estimator: estimator)
                let two = try gradients(config, threads: 2, estimator: estimator)
                let scale = one.map { abs($0) }.max()!
                let worst = zip(one, two).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, 1e-5 * scale, "\(config.architecture) \(estimator): \(worst) of \(scale)")
            }
        }
    }
}
