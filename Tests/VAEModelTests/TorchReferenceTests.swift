// The reference test: the same tiny VAE, batch and eps through PyTorch (fixture generated once by
// the script in TorchReferenceFixture.swift) and through this library; the loss, every gradient and
// the parameters after two Adam steps are compared element by element, the largest difference
// reported.
import XCTest
import VAEModel

final class TorchReferenceTests: XCTestCase {
    typealias F = TorchReferenceFixture

    func makeModel() throws -> VAE {
        let config = ModelConfig(inputSize: F.inputSize, hiddenSizes: [F.hidden], latentSize: F.latent)
        let model = try VAE(config: config, seed: 0, batchCapacity: F.batch)
        XCTAssertEqual(model.layout.count, F.parameters.count)
        _ = model.parameters.update(from: F.parameters)
        return model
    }

    func testLossAndEveryGradientMatchPyTorch() throws {
        let model = try makeModel()
        let parts = model.computeGradients(batch: F.x, count: F.batch, beta: 1, samples: 1, eps: F.eps)
        XCTAssertEqual(parts.reconstruction * Double(F.batch), F.bce, accuracy: 1e-5 * F.bce)
        XCTAssertEqual(parts.kl * Double(F.batch), F.kld, accuracy: 1e-5 * F.kld + 1e-6)
        let g = Array(model.gradients)
        for (name, range) in model.layout.tensors {
            let w = TestData.worst(Array(g[range]), Array(F.gradients[range]), rtol: 3e-5, atol: 3e-7)
            XCTAssertLessThan(w.ratio, 1, "\(name): largest difference \(w.difference) at \(w.index)")
        }
        // Not vacuous: the gradients are far from zero.
        XCTAssertGreaterThan(F.gradients.map(abs).max()!, 0.1)
    }

    func testTwoAdamStepsMatchPyTorch() throws {
        let model = try makeModel()
        for _ in 0 ..< 2 {
            model.computeGradients(batch: F.x, count: F.batch, beta: 1, samples: 1, eps: F.eps)
            model.optimizer.update(parameters: model.parameters.baseAddress!, gradients: model.gradients.baseAddress!,
                                   m: model.adamM.baseAddress!, v: model.adamV.baseAddress!, count: model.layout.count)
        }
        let w = TestData.worst(Array(model.parameters), F.parametersAfterTwoAdamSteps, rtol: 0, atol: 2e-7)
        XCTAssertLessThan(w.ratio, 1, "largest difference \(w.difference) at \(w.index)")
        // Each parameter moved by about 2·lr (Adam's first steps are ±lr per step).
        var moved = 0
        for i in 0 ..< F.parameters.count where abs(model.parameters[i] - F.parameters[i]) > 1e-3 { moved += 1 }
        XCTAssertGreaterThan(moved, F.parameters.count / 2)
    }
}
