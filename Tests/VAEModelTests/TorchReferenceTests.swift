// The reference test: the same tiny VAE, batch and eps through PyTorch (fixture generated once by
// the script in TorchReferenceFixture.swift) and through this library; the loss, every gradient and
// the parameters after two Adam steps are compared element by element, the largest difference
// reported.
import XCTest
import VAEModel

final class TorchReferenceTests: XCTestCase {
    typealias F = TorchReferenceFixture

    func makeModel() throws -> VAE {
        try F.model(ModelConfig(inputSize: F.inputSize, hiddenSizes: [F.hidden], latentSize: F.latent))
    }

    func testLossAndEveryGradientMatchPyTorch() throws {
        let model = try makeModel()
        let g = F.gradientsCheckingLoss(model)
        for (name, range) in model.layout.tensors {
            let w = TestData.worst(Array(g[range]), Array(F.gradients[range]), rtol: 3e-5, atol: 3e-7)
            XCTAssertLessThan(w.ratio, 1, "\(name): largest difference \(w.difference) at \(w.index)")
        }
        // Not vacuous: the gradients are far from zero.
        XCTAssertGreaterThan(F.gradients.map(abs).max()!, 0.1)
    }

    func testTwoAdamStepsMatchPyTorch() throws {
        F.checkTwoAdamSteps(try makeModel())
    }
}
