// The limits a model configuration is checked against before the model it describes is laid out
// or allocated (a checkpoint's header, VAETrain, is read against them): a header with a
// recomputed checksum can still claim a hidden layer of 2^40 units. Within these limits every
// offset of `ParameterLayout` fits easily in an Int (the largest product is 2^30 x 2^16); a count
// past them is bad input, reported as an error naming the field. docs/FORMATS.md ("Limits") lists
// them.
import VAECore

extension ModelConfig {
    /// Largest D, the pixels of one example (ImageShape's largest image).
    public static let maxInputSize = ImageShape.maxSide * ImageShape.maxSide * ImageShape.maxChannels
    /// Largest hidden width and largest latent size.
    public static let maxWidth = 1 << 16
    /// Most hidden layers.
    public static let maxHiddenLayers = 64

    /// Throws a `ModelError` naming the first size over its limit (`validate()` checks the lower
    /// bounds).
    public func checkLimits() throws(ModelError) {
        if inputSize > Self.maxInputSize {
            throw ModelError(.invalidConfig, "invalid model: input size is \(inputSize), over the limit of \(Self.maxInputSize)")
        }
        if latentSize > Self.maxWidth {
            throw ModelError(.invalidConfig, "invalid model: latent size is \(latentSize), over the limit of \(Self.maxWidth)")
        }
        if hiddenSizes.count > Self.maxHiddenLayers {
            throw ModelError(.invalidConfig, "invalid model: \(hiddenSizes.count) hidden layers, over the limit of \(Self.maxHiddenLayers)")
        }
        for (i, h) in hiddenSizes.enumerated() where h > Self.maxWidth {
            throw ModelError(.invalidConfig, "invalid model: hidden layer \(i + 1) has width \(h), over the limit of \(Self.maxWidth)")
        }
    }
}
