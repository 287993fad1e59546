// What the two PyTorch reference tests (MLP and conv) share: a model holding a fixture's
// parameters, the loss of its batch, and two Adam steps on it, each compared with PyTorch's.
import XCTest
import VAEModel

/// A fixture made by PyTorch: the parameters, one batch with its eps, the two loss terms (sums
/// over the batch), every gradient, and the parameters after two Adam steps.
protocol TorchFixture {
    static var batch: Int { get }
    static var parameters: [Float] { get }
    static var x: [Float] { get }
    static var eps: [Float] { get }
    static var bce: Double { get }
    static var kld: Double { get }
    static var gradients: [Float] { get }
    static var parametersAfterTwoAdamSteps: [Float] { get }
}

extension TorchReferenceFixture: TorchFixture {}
extension ConvTorchReferenceFixture: TorchFixture {}

extension TorchFixture {
    /// A model of `config` holding the fixture's parameters.
    static func model(_ config: ModelConfig) throws -> VAE {
        let model = try VAE(config: config, seed: 0, batchCapacity: batch)
        XCTAssertEqual(model.layout.count, parameters.count)
        _ = model.parameters.update(from: parameters)
        return model
    }

    /// The model's gradients on the fixture's batch, after checking its loss terms against PyTorch's.
    static func gradientsCheckingLoss(_ model: VAE) -> [Float] {
        let parts = model.computeGradients(batch: x, count: batch, beta: 1, samples: 1, eps: eps)
        XCTAssertEqual(parts.reconstruction * Double(batch), bce, accuracy: 1e-5 * bce)
        XCTAssertEqual(parts.kl * Double(batch), kld, accuracy: 1e-5 * kld + 1e-6)
        return Array(model.gradients)
    }

    /// Two Adam steps on the fixture's batch give PyTorch's parameters, and each step moved most
    /// of them by about lr (Adam's first steps are ±lr per step).
    static func checkTwoAdamSteps(_ model: VAE) {
        for _ in 0 ..< 2 {
            model.computeGradients(batch: x, count: batch, beta: 1, samples: 1, eps: eps)
            model.optimizer.update(parameters: model.parameters.baseAddress!, gradients: model.gradients.baseAddress!,
                                   m: model.adamM.baseAddress!, v: model.adamV.baseAddress!, count: model.layout.count)
        }
        let w = TestData.worst(Array(model.parameters), parametersAfterTwoAdamSteps, rtol: 0, atol: 2e-7)
        XCTAssertLessThan(w.ratio, 1, "largest difference \(w.difference) at \(w.index)")
        var moved = 0
        for i in 0 ..< parameters.count where abs(model.parameters[i] - parameters[i]) > 1e-3 { moved += 1 }
        XCTAssertGreaterThan(moved, parameters.count / 2)
    }
}
