// Gradient checks of the convolutional VAE: the hand-written backward (im2col, sgemm, col2im with
// fused bias and ReLU) against central finite differences of the reference's direct-loop
// convolutions in Double, for every tensor: one and two convolutions, gray and RGB, odd and even
// channel counts, square and oblong images, Bernoulli and both Gaussians, one and several samples.
// Each configuration is also shown to fail the check for a 1% error in any one tensor.
import XCTest
@testable import VAEModel

final class ConvGradientCheckTests: XCTestCase {
    func testGrayOneConvOddChannelsBernoulli() throws {
        try GradientCheck.assertPasses(.conv(height: 8, width: 6, channels: 1, convChannels: [3], latentSize: 3), samples: 1)
    }

    func testGrayTwoConvsEvenChannelsGaussianLearned() throws {
        try GradientCheck.assertPasses(.conv(height: 8, width: 8, channels: 1, convChannels: [2, 4], latentSize: 3,
                                             likelihood: .gaussianLearned), samples: 2)
    }

    func testGrayTwoConvsOddChannelsBernoulli() throws {
        try GradientCheck.assertPasses(.conv(height: 4, width: 8, channels: 1, convChannels: [3, 5], latentSize: 2), samples: 3)
    }

    func testRGBOneConvEvenChannelsGaussianFixed() throws {
        try GradientCheck.assertPasses(.conv(height: 4, width: 6, channels: 3, convChannels: [4], latentSize: 3,
                                             likelihood: .gaussianFixed(sigma: 0.4)), samples: 2)
    }

    func testRGBTwoConvsOddChannelsBernoulli() throws {
        try GradientCheck.assertPasses(.conv(height: 8, width: 4, channels: 3, convChannels: [3, 1], latentSize: 3), samples: 1)
    }

    func testRGBTwoConvsEvenChannelsGaussianLearned() throws {
        try GradientCheck.assertPasses(.conv(height: 8, width: 8, channels: 3, convChannels: [2, 2], latentSize: 2,
                                             likelihood: .gaussianLearned), samples: 1)
    }

    func testBatchLargeEnoughForTheParallelPasses() throws {
        // 9 examples on two data-parallel threads: slices of 4 and 5 images, the image passes of
        // each run inside its slice.
        try GradientCheck.assertPasses(.conv(height: 4, width: 4, channels: 3, convChannels: [2, 3], latentSize: 2),
                                       samples: 1, count: 9, threads: 2)
    }

    // MARK: The check must fail for wrong gradients

    func testCheckCatchesOnePercentErrorGrayOneConv() throws {
        try GradientCheck.assertCatchesOnePercentError(.conv(height: 4, width: 4, channels: 1, convChannels: [3], latentSize: 2,
                                                             likelihood: .gaussianLearned), samples: 1)
    }

    func testCheckCatchesOnePercentErrorRGBTwoConvs() throws {
        try GradientCheck.assertCatchesOnePercentError(.conv(height: 4, width: 8, channels: 3, convChannels: [2, 3], latentSize: 2),
                                                       samples: 2)
    }
}
