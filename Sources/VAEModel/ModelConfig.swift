// The shape of a VAE: input size, hidden widths, latent size and the likelihood of the decoder.
// Codable so that it travels inside checkpoints and run directories.

/// The decoder's observation model p(x|z).
///
/// - `bernoulli`: pixels in [0, 1] are Bernoulli probabilities (or their intensities, as the
///   PyTorch example does); the decoder output a is a logit, mean = sigmoid(a).
/// - `gaussianLearned`: N(x; sigmoid(a), exp(logvar_d)) with one learned log-variance per pixel.
/// - `gaussianFixed(sigma:)`: N(x; sigmoid(a), sigma²) with a fixed standard deviation.
///
/// JSON (synthesized Codable): `{"bernoulli":{}}`, `{"gaussianLearned":{}}`,
/// `{"gaussianFixed":{"sigma":0.1}}`.
public enum Likelihood: Codable, Equatable, Sendable {
    case bernoulli
    case gaussianLearned
    case gaussianFixed(sigma: Float)
}

/// The architecture of a VAE.
///
/// ```
/// encoder:  D -> h1 -> ... -> hk (ReLU) -> [mu (Z) | logvar (Z)]   (one 2Z-wide linear head)
/// decoder:  Z -> hk -> ... -> h1 (ReLU) -> D (logits; mean = sigmoid)
/// ```
public struct ModelConfig: Codable, Equatable, Sendable {
    /// D, the number of pixels of one example.
    public var inputSize: Int
    /// The widths of the encoder's hidden layers, input side first; the decoder mirrors them.
    /// May be empty (linear encoder and decoder).
    public var hiddenSizes: [Int]
    /// Z, the number of latent dimensions.
    public var latentSize: Int
    /// The observation model p(x|z).
    public var likelihood: Likelihood

    public init(inputSize: Int = 784, hiddenSizes: [Int] = [400], latentSize: Int = 20,
                likelihood: Likelihood = .bernoulli) {
        self.inputSize = inputSize
        self.hiddenSizes = hiddenSizes
        self.latentSize = latentSize
        self.likelihood = likelihood
    }

    /// Throws a `ModelError` naming the first size that is zero or negative, or a sigma that is
    /// not a positive finite number.
    public func validate() throws(ModelError) {
        if inputSize <= 0 { throw ModelError(.invalidConfig, "invalid model: input size is \(inputSize), must be positive") }
        if latentSize <= 0 { throw ModelError(.invalidConfig, "invalid model: latent size is \(latentSize), must be positive") }
        for (i, h) in hiddenSizes.enumerated() where h <= 0 {
            throw ModelError(.invalidConfig, "invalid model: hidden layer \(i + 1) has width \(h), must be positive")
        }
        if case .gaussianFixed(let sigma) = likelihood, !(sigma > 0 && sigma.isFinite) {
            throw ModelError(.invalidConfig, "invalid model: Gaussian sigma is \(sigma), must be positive and finite")
        }
    }
}
