// Every forward-backward pass sets all the gradients (the summed ones cleared at its start, each
// weight's by its first product): whatever was in them before (a `computeGradients` for a check,
// an earlier step, garbage) cannot leak into a step.
import XCTest
@testable import VAEModel

final class GradientZeroingTests: XCTestCase {
    let config = ModelConfig(inputSize: 21, hiddenSizes: [7, 5], latentSize: 3, likelihood: .gaussianLearned)

    /// Parameters, moments and generator after one `trainStep` on x2, with `before` run first.
    func stepped(before: (VAE) -> Void) throws -> [UInt32] {
        let model = try VAE(config: config, seed: 1, batchCapacity: 4, mcSamples: 2)
        before(model)
        var rng = SeededRandom(seed: 9)
        let x = TestData.uniform(4 * 21, seed: 2)
        model.trainStep(batch: x, count: 4, beta: 1, rng: &rng)
        return (Array(model.parameters) + Array(model.adamM) + Array(model.adamV)).map(\.bitPattern)
    }

    func testComputeGradientsThenTrainStepIsTrainStepAlone() throws {
        let alone = try stepped { _ in }
        let afterGradients = try stepped { model in
            let x = TestData.uniform(4 * 21, seed: 1), eps = TestData.normals(2 * 4 * 3, seed: 3)
            model.computeGradients(batch: x, count: 4, beta: 1, samples: 2, eps: eps)
            XCTAssert(model.gradients.contains { $0 != 0 }, "the gradients left behind are not zero")
        }
        XCTAssertEqual(afterGradients, alone)
    }

    func testGarbageInTheGradientsDoesNotReachAStep() throws {
        let alone = try stepped { _ in }
        let afterGarbage = try stepped { model in
            for i in model.gradients.indices { model.gradients[i] = Float(i % 7) - 3 }
        }
        XCTAssertEqual(afterGarbage, alone)
    }

    /// The conv model's weight gradients add up over chunks of images: the first chunk sets them.
    func testGarbageInTheGradientsDoesNotReachAConvStepOfManyChunks() throws {
        let conv = ModelConfig.conv(height: 8, width: 8, channels: 1, convChannels: [4, 8], latentSize: 2)
        func stepped(garbage: Bool) throws -> [UInt32] {
            let model = try VAE(config: conv, seed: 1, batchCapacity: 4)
            model.imageChunkFloats = 1
            if garbage { for i in model.gradients.indices { model.gradients[i] = Float(i % 5) - 2 } }
            var rng = SeededRandom(seed: 9)
            model.trainStep(batch: TestData.uniform(4 * 64, seed: 2), count: 4, beta: 1, rng: &rng)
            return (Array(model.parameters) + Array(model.adamM) + Array(model.adamV)).map(\.bitPattern)
        }
        XCTAssertEqual(try stepped(garbage: true), try stepped(garbage: false))
    }

    func testZeroGradientsClearsEveryGradient() throws {
        let model = try VAE(config: config, seed: 1)
        for i in model.gradients.indices { model.gradients[i] = 1 }
        model.zeroGradients()
        XCTAssert(model.gradients.allSatisfy { $0 == 0 })
    }
}
