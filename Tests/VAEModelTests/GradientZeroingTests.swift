// The gradients are cleared in one place, at the start of every forward-backward pass: whatever
// was in them before (a `computeGradients` for a check, an earlier step) cannot leak into a step.
import XCTest
import VAEModel

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

    func testZeroGradientsClearsEveryGradient() throws {
        let model = try VAE(config: config, seed: 1)
        for i in model.gradients.indices { model.gradients[i] = 1 }
        model.zeroGradients()
        XCTAssert(model.gradients.allSatisfy { $0 == 0 })
    }
}
