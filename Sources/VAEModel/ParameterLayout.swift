// Where every parameter tensor lives inside the one flat parameter allocation. Gradients and the
// two Adam moments use the same layout, so the optimizer is one loop over flat memory and a
// checkpoint is a header plus that memory.
//
// D = input size, H = a hidden width, Z = latent size.
// Weights are stored like PyTorch's nn.Linear: (out, in), row-major, so a layer is y = x Wᵀ + b.

/// A named view of one linear layer inside the flat parameters: weight (out, in) at
/// `weightOffset`, bias (out) at `biasOffset`.
public struct LinearView: Equatable, Sendable {
    public let inputs: Int
    public let outputs: Int
    public let weightOffset: Int  // weight (outputs, inputs), row-major
    public let biasOffset: Int    // bias (outputs)

    public var weightCount: Int { inputs * outputs }
}

/// The offsets of every tensor in the flat parameter array, in their order in memory:
///
/// ```
/// encoder[0]  weight (h1, D)    bias (h1)
/// ...
/// encoder[k-1] weight (hk, hk-1) bias (hk)
/// head        weight (2Z, hk)   bias (2Z)       rows 0..<Z give mu, rows Z..<2Z give logvar
/// decoder[0]  weight (hk, Z)    bias (hk)
/// ...
/// decoder[k-1] weight (h1, h2)  bias (h1)
/// output      weight (D, h1)    bias (D)        logits of p(x|z)
/// logVariance (D)                               only for Likelihood.gaussianLearned
/// ```
public struct ParameterLayout: Equatable, Sendable {
    /// The encoder's hidden layers (ReLU), input side first.
    public let encoder: [LinearView]
    /// The 2Z-wide head: [mu | logvar].
    public let head: LinearView
    /// The decoder's hidden layers (ReLU), latent side first.
    public let decoder: [LinearView]
    /// The last decoder layer: logits (D).
    public let output: LinearView
    /// The per-pixel log-variance (D) of the learned Gaussian likelihood, else nil.
    public let logVarianceOffset: Int?
    /// Every linear layer in memory order: encoder, head, decoder, output.
    public let linears: [LinearView]
    /// The total number of Float parameters.
    public let count: Int

    public init(config c: ModelConfig) {
        var offset = 0
        func linear(_ inputs: Int, _ outputs: Int) -> LinearView {
            let view = LinearView(inputs: inputs, outputs: outputs, weightOffset: offset,
                                  biasOffset: offset + inputs * outputs)
            offset += inputs * outputs + outputs
            return view
        }
        var encoder: [LinearView] = []
        var width = c.inputSize
        for h in c.hiddenSizes {
            encoder.append(linear(width, h))
            width = h
        }
        head = linear(width, 2 * c.latentSize)
        var decoder: [LinearView] = []
        width = c.latentSize
        for h in c.hiddenSizes.reversed() {
            decoder.append(linear(width, h))
            width = h
        }
        output = linear(width, c.inputSize)
        self.encoder = encoder
        self.decoder = decoder
        linears = encoder + [head] + decoder + [output]
        if case .gaussianLearned = c.likelihood {
            logVarianceOffset = offset
            offset += c.inputSize
        } else {
            logVarianceOffset = nil
        }
        count = offset
    }


    /// Every parameter tensor by name and range, in memory order (used by tests and tools):
    /// `encoder.0.weight`, `encoder.0.bias`, ..., `head.weight`, ..., `output.bias`, `logVariance`.
    public var tensors: [(name: String, range: Range<Int>)] {
        var out: [(name: String, range: Range<Int>)] = []
        func add(_ name: String, _ v: LinearView) {
            out.append((name + ".weight", v.weightOffset ..< v.weightOffset + v.weightCount))
            out.append((name + ".bias", v.biasOffset ..< v.biasOffset + v.outputs))
        }
        for (i, v) in encoder.enumerated() { add("encoder.\(i)", v) }
        add("head", head)
        for (i, v) in decoder.enumerated() { add("decoder.\(i)", v) }
        add("output", output)
        if let o = logVarianceOffset { out.append(("logVariance", o ..< count)) }
        return out
    }

    /// Fills `p` (count) exactly like PyTorch's nn.Linear default initialization: every weight and
    /// bias uniform in ±1/sqrt(fan_in), drawn from `rng` in memory order (layer by layer, the
    /// weight row-major then the bias); the log-variance (if any) starts at 0 (unit variance),
    /// drawing nothing.
    ///
    /// ```
    /// w = (2u - 1) / sqrt(fan_in),  u = rng.uniform() in [0, 1)
    /// ```
    public func initialize(_ p: UnsafeMutablePointer<Float>, rng: inout SeededRandom) {
        for v in linears {
            let bound = 1 / Float(v.inputs).squareRoot()
            for i in 0 ..< v.weightCount { p[v.weightOffset + i] = (2 * rng.uniform() - 1) * bound }
            for i in 0 ..< v.outputs { p[v.biasOffset + i] = (2 * rng.uniform() - 1) * bound }
        }
        if let o = logVarianceOffset {
            for i in o ..< count { p[i] = 0 }
        }
    }
}
