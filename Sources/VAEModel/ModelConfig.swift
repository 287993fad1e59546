// The shape of a VAE: its architecture (MLP or convolutional), the image geometry, the latent size
// and the likelihood of the decoder. Codable so that it travels inside checkpoints and run
// directories; the fields added after the first format (architecture and image geometry) decode
// with defaults, so older MLP checkpoints and configs still load.

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

/// The encoder and decoder family.
///
/// - `mlp`: fully connected hidden layers of `ModelConfig.hiddenSizes`.
/// - `conv(channels:)`: one convolution (kernel 4, stride 2, padding 1, ReLU) per entry, each
///   halving the height and width, then a linear head; the decoder mirrors it with transposed
///   convolutions (docs/METHOD.md).
///
/// JSON (synthesized Codable): `{"mlp":{}}`, `{"conv":{"channels":[32,64]}}`.
public enum Architecture: Codable, Equatable, Sendable {
    case mlp
    case conv(channels: [Int])

    /// The convolutions' output channels, input side first (empty for the MLP).
    public var convChannels: [Int] {
        if case .conv(let channels) = self { return channels }
        return []
    }
}

/// The architecture of a VAE.
///
/// ```
/// mlp encoder:   D -> h1 -> ... -> hk (ReLU) -> [mu (Z) | logvar (Z)]   (one 2Z-wide linear head)
/// mlp decoder:   Z -> hk -> ... -> h1 (ReLU) -> D (logits; mean = sigmoid)
/// conv encoder:  (H, W, C) -> conv c1 (H/2, W/2) -> ... -> conv ck (H/2^k, W/2^k) -> flatten -> 2Z
/// conv decoder:  Z -> linear (H/2^k, W/2^k, ck) -> transposed convs ck -> ... -> c1 -> C (H, W)
/// ```
/// Images are row-major, channels interleaved: pixel (y, x) channel c is input y·W·C + x·C + c.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// D, the number of inputs of one example: height · width · channels.
    public var inputSize: Int
    /// The widths of the MLP's hidden layers, input side first; the decoder mirrors them. May be
    /// empty (linear encoder and decoder). Must be empty for the conv architecture.
    public var hiddenSizes: [Int]
    /// Z, the number of latent dimensions.
    public var latentSize: Int
    /// The observation model p(x|z).
    public var likelihood: Likelihood
    /// MLP or convolutional encoder and decoder (absent in older files: `mlp`).
    public var architecture: Architecture
    /// Image height and width in pixels; 0 when not recorded (older MLP files). The conv
    /// architecture needs both.
    public var imageHeight: Int
    public var imageWidth: Int
    /// Channels per pixel: 1 gray, 3 RGB (absent in older files: 1).
    public var imageChannels: Int
    /// The classes of a conditional VAE, q(z|x,y) and p(x|z,y) with y one-hot over them, in the
    /// order of the data's labels; empty (and absent in files) for an unconditional one.
    public var classNames: [String] = []
    /// The prior p(z) (absent in files for the standard normal).
    public var prior: Prior = .standard

    /// K, the number of classes the model is conditioned on (0: unconditional).
    public var classCount: Int { classNames.count }
    public var isConditional: Bool { !classNames.isEmpty }

    public init(inputSize: Int = 784, hiddenSizes: [Int] = [400], latentSize: Int = 20,
                likelihood: Likelihood = .bernoulli, architecture: Architecture = .mlp,
                imageHeight: Int = 0, imageWidth: Int = 0, imageChannels: Int = 1) {
        self.inputSize = inputSize
        self.hiddenSizes = hiddenSizes
        self.latentSize = latentSize
        self.likelihood = likelihood
        self.architecture = architecture
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
        self.imageChannels = imageChannels
    }

    /// A convolutional VAE for images of height × width × channels.
    public static func conv(height: Int, width: Int, channels: Int = 1, convChannels: [Int] = [32, 64],
                            latentSize: Int = 20, likelihood: Likelihood = .bernoulli) -> ModelConfig {
        ModelConfig(inputSize: height * width * channels, hiddenSizes: [], latentSize: latentSize,
                    likelihood: likelihood, architecture: .conv(channels: convChannels),
                    imageHeight: height, imageWidth: width, imageChannels: channels)
    }

    enum CodingKeys: String, CodingKey {
        case inputSize, hiddenSizes, latentSize, likelihood, architecture, imageHeight, imageWidth, imageChannels, classNames
        case prior
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(hiddenSizes, forKey: .hiddenSizes)
        try c.encode(latentSize, forKey: .latentSize)
        try c.encode(likelihood, forKey: .likelihood)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(imageHeight, forKey: .imageHeight)
        try c.encode(imageWidth, forKey: .imageWidth)
        try c.encode(imageChannels, forKey: .imageChannels)
        if isConditional { try c.encode(classNames, forKey: .classNames) }
        if prior != .standard { try c.encode(prior, forKey: .prior) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputSize = try c.decode(Int.self, forKey: .inputSize)
        hiddenSizes = try c.decode([Int].self, forKey: .hiddenSizes)
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        likelihood = try c.decode(Likelihood.self, forKey: .likelihood)
        architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? .mlp
        imageHeight = try c.decodeIfPresent(Int.self, forKey: .imageHeight) ?? 0
        imageWidth = try c.decodeIfPresent(Int.self, forKey: .imageWidth) ?? 0
        imageChannels = try c.decodeIfPresent(Int.self, forKey: .imageChannels) ?? 1
        classNames = try c.decodeIfPresent([String].self, forKey: .classNames) ?? []
        prior = try c.decodeIfPresent(Prior.self, forKey: .prior) ?? .standard
    }

    /// The largest image side and channel count accepted (a config that claims more is corrupt).
    static let maxSide = 1 << 14, maxChannels = 4, maxConvChannels = 1 << 12
    /// The most classes a conditional model may have.
    public static let maxClasses = 1 << 12
    /// The most pseudo-inputs a VampPrior may have.
    public static let maxPseudoInputs = 1 << 14

    /// Throws a `ModelError` naming the first size that is zero, negative or inconsistent, or a
    /// sigma that is not a positive finite number. For the conv architecture: height and width
    /// must be divisible by 2^k (k convolutions) and height · width · channels must be the input
    /// size.
    public func validate() throws(ModelError) {
        if inputSize <= 0 { throw ModelError(.invalidConfig, "invalid model: input size is \(inputSize), must be positive") }
        if latentSize <= 0 { throw ModelError(.invalidConfig, "invalid model: latent size is \(latentSize), must be positive") }
        for (i, h) in hiddenSizes.enumerated() where h <= 0 {
            throw ModelError(.invalidConfig, "invalid model: hidden layer \(i + 1) has width \(h), must be positive")
        }
        if case .gaussianFixed(let sigma) = likelihood, !(sigma > 0 && sigma.isFinite) {
            throw ModelError(.invalidConfig, "invalid model: Gaussian sigma is \(sigma), must be positive and finite")
        }
        if classCount > Self.maxClasses {
            throw ModelError(.invalidConfig, "invalid model: \(classCount) classes, at most \(Self.maxClasses)")
        }
        if Set(classNames).count != classCount || classNames.contains(where: \.isEmpty) {
            throw ModelError(.invalidConfig, "invalid model: class names must be distinct and not empty, got \(classNames)")
        }
        if case .vamp(let k) = prior {
            if !(1 ... Self.maxPseudoInputs).contains(k) {
                throw ModelError(.invalidConfig, "invalid model: \(k) pseudo-inputs, must be 1 to \(Self.maxPseudoInputs)")
            }
            if isConditional {
                throw ModelError(.invalidConfig, "invalid model: the VampPrior is for unconditional models (a conditional model's prior is N(0, I) for every class)")
            }
        }
        let h = imageHeight, w = imageWidth, ch = imageChannels
        if h < 0 || w < 0 || h > Self.maxSide || w > Self.maxSide || !(1 ... Self.maxChannels).contains(ch) {
            throw ModelError(.invalidConfig, "invalid model: image \(w)x\(h) with \(ch) channels")
        }
        if h > 0 || w > 0, h * w * ch != inputSize {
            throw ModelError(.invalidConfig, "invalid model: image \(w)x\(h)x\(ch) is \(h * w * ch) inputs, the input size is \(inputSize)")
        }
        guard case .conv(let channels) = architecture else { return }
        if channels.isEmpty { throw ModelError(.invalidConfig, "invalid model: the conv architecture needs at least one channel count") }
        for (i, c) in channels.enumerated() where !(1 ... Self.maxConvChannels).contains(c) {
            throw ModelError(.invalidConfig, "invalid model: convolution \(i + 1) has \(c) channels, must be 1 to \(Self.maxConvChannels)")
        }
        if !hiddenSizes.isEmpty {
            throw ModelError(.invalidConfig, "invalid model: the conv architecture takes no hidden sizes, got \(hiddenSizes)")
        }
        if h == 0 || w == 0 {
            throw ModelError(.invalidConfig, "invalid model: the conv architecture needs the image height and width")
        }
        let k = channels.count, f = 1 << min(k, 20)
        if k > 20 || h % f != 0 || w % f != 0 {
            throw ModelError(.invalidConfig, "invalid model: \(k) convolution\(k == 1 ? "" : "s") of stride 2 need an image height and width divisible by \(f), the images are \(w)x\(h) (width x height)")
        }
    }
}
