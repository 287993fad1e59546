// The reference test of the convolutional VAE: the same small model (the modules of
// shared/reference/vae_conv_torch.py on RGB 8x12 images), batch and eps through PyTorch (fixture
// generated once by the script in ConvTorchReferenceFixture.swift) and through this library; the
// loss, every gradient and the parameters after two Adam steps are compared element by element,
// the largest difference reported. Also: the reference model's own tensor sizes.
import XCTest
import VAEModel

final class ConvTorchReferenceTests: XCTestCase {
    typealias F = ConvTorchReferenceFixture

    func makeModel() throws -> VAE {
        try F.model(.conv(height: F.height, width: F.width, channels: F.channels,
                          convChannels: F.convChannels, latentSize: F.latent))
    }

    func testLossAndEveryGradientMatchPyTorch() throws {
        let model = try makeModel()
        let g = F.gradientsCheckingLoss(model)
        XCTAssertEqual(model.layout.tensors.count, 12)
        for (name, range) in model.layout.tensors {
            // atol: the output bias gradient sums B·H·W = 384 terms per channel in Float.
            let w = TestData.worst(Array(g[range]), Array(F.gradients[range]), rtol: 3e-5, atol: 1e-6)
            XCTAssertLessThan(w.ratio, 1, "\(name): largest difference \(w.difference) at \(w.index)")
            XCTAssertGreaterThan(F.gradients[range].map(abs).max()!, 1e-3, "\(name): the gradient is not vacuous")
        }
    }

    func testTwoAdamStepsMatchPyTorch() throws {
        F.checkTwoAdamSteps(try makeModel())
    }

    func testReferenceArchitectureHasPyTorchsTensorSizes() throws {
        // 1 x 28 x 28, channels 32, 64, Z = 20: the model of vae_conv_torch.py, tensor for tensor.
        let layout = ParameterLayout(config: .conv(height: 28, width: 28, channels: 1, convChannels: [32, 64], latentSize: 20))
        XCTAssertEqual(layout.tensors.map(\.range.count), F.referenceTensorSizes)
        XCTAssertEqual(layout.convEncoder.map { [$0.outHeight, $0.outWidth, $0.outChannels] }, [[14, 14, 32], [7, 7, 64]])
        XCTAssertEqual(layout.convDecoder.map { [$0.outHeight, $0.outWidth, $0.outChannels] }, [[14, 14, 32], [28, 28, 1]])
        XCTAssertEqual(layout.head.inputs, 3136)
    }
}
