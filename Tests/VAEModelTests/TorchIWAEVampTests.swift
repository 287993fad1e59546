// The reference test of the Monte Carlo objectives: a tiny VAE with a VampPrior trained on the
// IWAE bound, through PyTorch's autograd (fixture generated once by the script in
// TorchIWAEVampFixture.swift) and through this library's hand-written backward; the loss and
// every gradient, the pseudo-inputs' included, compared element by element.
import XCTest
import VAEModel

final class TorchIWAEVampTests: XCTestCase {
    typealias F = TorchIWAEVampFixture

    func testIWAELossAndEveryGradientWithTheVampPriorMatchPyTorch() throws {
        var config = ModelConfig(inputSize: F.inputSize, hiddenSizes: [F.hidden], latentSize: F.latent)
        config.prior = .vamp(pseudoInputs: F.pseudoInputs)
        let model = try VAE(config: config, seed: 0, batchCapacity: F.batch, mcSamples: F.samples)
        XCTAssertEqual(model.layout.count, F.parameters.count)
        _ = model.parameters.update(from: F.parameters)
        model.objective = .iwae
        let parts = model.computeGradients(batch: F.x, count: F.batch, beta: 1, samples: F.samples, eps: F.eps)
        XCTAssertEqual(parts.total * Double(F.batch), F.loss, accuracy: 1e-5 * abs(F.loss))
        for (name, range) in model.layout.tensors {
            let w = TestData.worst(Array(model.gradients[range]), Array(F.gradients[range]), rtol: 1e-4, atol: 1e-6)
            XCTAssertLessThan(w.ratio, 1, "\(name): largest difference \(w.difference) at \(w.index)")
        }
        // Not vacuous: the gradients, the pseudo-inputs' among them, are far from zero.
        XCTAssertGreaterThan(F.gradients.map(abs).max()!, 0.1)
        let pseudo = model.layout.pseudoInputsOffset! ..< model.layout.count
        XCTAssertGreaterThan(F.gradients[pseudo].map(abs).max()!, 1e-3)
    }
}
