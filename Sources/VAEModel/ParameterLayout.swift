// Where every parameter tensor lives inside the one flat parameter allocation. Gradients and the
// two Adam moments use the same layout, so the optimizer is one loop over flat memory and a
// checkpoint is a header plus that memory.
//
// D = input size, H = a hidden width, Z = latent size; for the conv architecture k = kernel (4),
// Ci, Co = a convolution's input and output channels, h_k × w_k × c_k = the last convolution's output.
// Linear weights are stored like PyTorch's nn.Linear: (out, in), row-major, so a layer is y = x Wᵀ + b.
// Convolution weights are stored so that a convolution is a linear layer over image patches
// (im2col, channels last): a convolution's weight is (Co, k, k, Ci), a transposed convolution's
// (k, k, Co, Ci); docs/METHOD.md derives both.

/// A named view of one linear layer inside the flat parameters: weight (out, in) at
/// `weightOffset`, bias (out) at `biasOffset`.
public struct LinearView: Equatable, Sendable {
    public let inputs: Int
    public let outputs: Int
    public let weightOffset: Int  // weight (outputs, inputs), row-major
    public let biasOffset: Int    // bias (outputs)

    public var weightCount: Int { inputs * outputs }
}

/// A named view of one convolution (kernel × kernel, stride, padding) inside the flat parameters,
/// with the image sizes it maps between. Images are channels-last: (height, width, channels).
///
/// ```
/// convolution:             (Hi, Wi, Ci) -> (Ho, Wo, Co),  Ho = (Hi + 2p - k) / s + 1
///                          weight (Co, k, k, Ci), bias (Co)
/// transposed convolution:  (Hi, Wi, Ci) -> (Ho, Wo, Co),  Ho = (Hi - 1) s - 2p + k
///                          weight (k, k, Co, Ci), bias (Co)
/// ```
public struct ConvView: Equatable, Sendable {
    /// A transposed convolution (the decoder's), else a convolution (the encoder's).
    public let transposed: Bool
    public let inChannels, outChannels: Int
    public let inHeight, inWidth, outHeight, outWidth: Int
    public let kernel, stride, padding: Int
    public let weightOffset: Int  // see the type's comment for the order
    public let biasOffset: Int    // bias (outChannels)

    public var weightCount: Int { kernel * kernel * inChannels * outChannels }
    /// PyTorch's fan-in of the weight (its initialization bound is 1/sqrt(fanIn)): k·k·Ci for a
    /// convolution, k·k·Co for a transposed one (PyTorch stores it (Ci, Co, k, k) and takes dim 1).
    public var fanIn: Int { kernel * kernel * (transposed ? outChannels : inChannels) }
    /// The length of one im2col row: k·k times the channels of the side with the larger image.
    public var patchSize: Int { kernel * kernel * (transposed ? outChannels : inChannels) }
    public var inputCount: Int { inHeight * inWidth * inChannels }
    public var outputCount: Int { outHeight * outWidth * outChannels }
    /// The im2col geometry, seen from the larger image: for a convolution the input, for a
    /// transposed convolution the output; the smaller image is the patch grid.
    let patches: PatchGeometry

    init(transposed: Bool, inChannels: Int, outChannels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
         kernel: Int, stride: Int, padding: Int, weightOffset: Int, biasOffset: Int) {
        self.transposed = transposed
        (self.inChannels, self.outChannels) = (inChannels, outChannels)
        (self.inHeight, self.inWidth, self.outHeight, self.outWidth) = (inHeight, inWidth, outHeight, outWidth)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
        (self.weightOffset, self.biasOffset) = (weightOffset, biasOffset)
        patches = transposed
            ? PatchGeometry(height: outHeight, width: outWidth, channels: outChannels,
                            gridHeight: inHeight, gridWidth: inWidth, kernel: kernel, stride: stride, padding: padding)
            : PatchGeometry(height: inHeight, width: inWidth, channels: inChannels,
                            gridHeight: outHeight, gridWidth: outWidth, kernel: kernel, stride: stride, padding: padding)
    }
}

/// The offsets of every tensor in the flat parameter array, in their order in memory. MLP:
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
/// pseudoInputs (K, D)                           only for the VampPrior (`Prior.vamp`)
/// ```
///
/// Conv (channels c1 ... ck, image H × W × C, kernel 4):
///
/// ```
/// convEncoder[0]   weight (c1, 4, 4, C)      bias (c1)
/// ...
/// convEncoder[k-1] weight (ck, 4, 4, ck-1)   bias (ck)
/// head             weight (2Z, h_k·w_k·ck)   bias (2Z)       inputs in (y, x, channel) order
/// decoder[0]       weight (h_k·w_k·ck, Z)    bias (h_k·w_k·ck)   outputs in (y, x, channel) order
/// convDecoder[0]   weight (4, 4, ck-1, ck)   bias (ck-1)
/// ...
/// convDecoder[k-1] weight (4, 4, C, c1)      bias (C)        logits of p(x|z)
/// logVariance (D)                                            only for Likelihood.gaussianLearned
/// pseudoInputs (K, H, W, C)                                  only for the VampPrior (`Prior.vamp`)
/// ```
public struct ParameterLayout: Equatable, Sendable {
    /// The MLP encoder's hidden layers (ReLU), input side first; empty for the conv architecture.
    public let encoder: [LinearView]
    /// The conv encoder's convolutions (ReLU), input side first; empty for the MLP.
    public let convEncoder: [ConvView]
    /// The 2Z-wide head: [mu | logvar].
    public let head: LinearView
    /// The decoder's linear hidden layers (ReLU), latent side first; for the conv architecture the
    /// one projection from z to the last convolution's shape.
    public let decoder: [LinearView]
    /// The conv decoder's transposed convolutions, latent side first (ReLU between them; the last
    /// gives the logits); empty for the MLP.
    public let convDecoder: [ConvView]
    /// The MLP's last decoder layer: logits (D); nil for the conv architecture.
    public let output: LinearView?
    /// The per-pixel log-variance (D) of the learned Gaussian likelihood, else nil.
    public let logVarianceOffset: Int?
    /// The VampPrior's pseudo-inputs (K, D), the last parameters, else nil.
    public let pseudoInputsOffset: Int?
    /// Every linear layer in memory order.
    public let linears: [LinearView]
    /// Every convolution in memory order.
    public let convs: [ConvView]
    /// Every weight and bias in memory order, with its name and initialization fan-in.
    let blocks: [Block]
    /// The parameters whose gradients a backward pass adds into (every bias and the log-variance),
    /// in memory order. The weight gradients are not among them: each weight's first product in
    /// backward sets its gradient (`linearBackward`).
    public let summedRanges: [Range<Int>]
    /// The total number of Float parameters.
    public let count: Int

    /// One layer's weight and bias in the flat memory.
    struct Block: Equatable, Sendable {
        let name: String
        let weightOffset, weightCount, biasOffset, biasCount, fanIn: Int
    }

    public init(config c: ModelConfig) {
        var offset = 0
        var blocks: [Block] = []
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) -> LinearView {
            let view = LinearView(inputs: inputs, outputs: outputs, weightOffset: offset,
                                  biasOffset: offset + inputs * outputs)
            blocks.append(Block(name: name, weightOffset: offset, weightCount: view.weightCount,
                                biasOffset: view.biasOffset, biasCount: outputs, fanIn: inputs))
            offset += inputs * outputs + outputs
            return view
        }
        func conv(_ name: String, transposed: Bool, _ ci: Int, _ co: Int, _ hi: Int, _ wi: Int) -> ConvView {
            let (k, s, p) = (4, 2, 1)
            let (ho, wo) = transposed ? ((hi - 1) * s - 2 * p + k, (wi - 1) * s - 2 * p + k)
                                      : ((hi + 2 * p - k) / s + 1, (wi + 2 * p - k) / s + 1)
            let view = ConvView(transposed: transposed, inChannels: ci, outChannels: co, inHeight: hi, inWidth: wi,
                                outHeight: ho, outWidth: wo, kernel: k, stride: s, padding: p,
                                weightOffset: offset, biasOffset: offset + k * k * ci * co)
            blocks.append(Block(name: name, weightOffset: offset, weightCount: view.weightCount,
                                biasOffset: view.biasOffset, biasCount: co, fanIn: view.fanIn))
            offset += view.weightCount + co
            return view
        }
        var encoder: [LinearView] = [], decoder: [LinearView] = []
        var convEncoder: [ConvView] = [], convDecoder: [ConvView] = []
        switch c.architecture {
        case .mlp:
            // A conditional model's encoder sees [x | y] and its decoder [z | y] (y one-hot, K wide).
            var width = c.inputSize + c.classCount
            for (i, h) in c.hiddenSizes.enumerated() {
                encoder.append(linear("encoder.\(i)", width, h))
                width = h
            }
            head = linear("head", width, 2 * c.latentSize)
            width = c.latentSize + c.classCount
            for (i, h) in c.hiddenSizes.reversed().enumerated() {
                decoder.append(linear("decoder.\(i)", width, h))
                width = h
            }
            output = linear("output", width, c.inputSize)
        case .conv(let channels):
            // A conditional model's encoder sees y as K constant planes after the image's channels,
            // its decoder's projection [z | y].
            var (h, w, ch) = (c.imageHeight, c.imageWidth, c.imageChannels + c.classCount)
            for (i, co) in channels.enumerated() {
                let v = conv("encoder.conv\(i)", transposed: false, ch, co, h, w)
                convEncoder.append(v)
                (h, w, ch) = (v.outHeight, v.outWidth, co)
            }
            head = linear("head", h * w * ch, 2 * c.latentSize)
            decoder.append(linear("decoder.linear", c.latentSize + c.classCount, h * w * ch))
            let outs = Array(channels.dropLast().reversed()) + [c.imageChannels]
            for (j, co) in outs.enumerated() {
                let v = conv("decoder.deconv\(j)", transposed: true, ch, co, h, w)
                convDecoder.append(v)
                (h, w, ch) = (v.outHeight, v.outWidth, co)
            }
            output = nil
        }
        self.encoder = encoder
        self.decoder = decoder
        self.convEncoder = convEncoder
        self.convDecoder = convDecoder
        linears = encoder + [head] + decoder + (output.map { [$0] } ?? [])
        convs = convEncoder + convDecoder
        self.blocks = blocks
        if case .gaussianLearned = c.likelihood {
            logVarianceOffset = offset
            offset += c.inputSize
        } else {
            logVarianceOffset = nil
        }
        if case .vamp(let k) = c.prior {
            pseudoInputsOffset = offset
            offset += k * c.inputSize
        } else {
            pseudoInputsOffset = nil
        }
        count = offset
        summedRanges = blocks.map { $0.biasOffset ..< $0.biasOffset + $0.biasCount }
            + (logVarianceOffset.map { [$0 ..< $0 + c.inputSize] } ?? [])
    }

    /// Every parameter tensor by name and range, in memory order (used by tests and tools):
    /// `encoder.0.weight`, `encoder.0.bias`, ..., `head.weight`, ..., `output.bias`, `logVariance`
    /// (conv: `encoder.conv0.weight`, ..., `head.weight`, `decoder.linear.weight`,
    /// `decoder.deconv0.weight`, ...).
    public var tensors: [(name: String, range: Range<Int>)] {
        var out: [(name: String, range: Range<Int>)] = []
        for b in blocks {
            out.append((b.name + ".weight", b.weightOffset ..< b.weightOffset + b.weightCount))
            out.append((b.name + ".bias", b.biasOffset ..< b.biasOffset + b.biasCount))
        }
        if let o = logVarianceOffset { out.append(("logVariance", o ..< (pseudoInputsOffset ?? count))) }
        if let o = pseudoInputsOffset { out.append(("prior.pseudo_inputs", o ..< count)) }
        return out
    }

    /// Fills `p` (count) exactly like PyTorch's default initialization of nn.Linear, nn.Conv2d
    /// and nn.ConvTranspose2d: every weight and bias uniform in ±1/sqrt(fan_in), drawn from `rng`
    /// in memory order (layer by layer, the weight then the bias); the log-variance (if any)
    /// starts at 0 (unit variance), drawing nothing; the pseudo-inputs (if any) last, each pixel
    /// uniform in [0, 1) (training replaces them by training images, `VAE.setPseudoInputs`).
    ///
    /// ```
    /// w = (2u - 1) / sqrt(fan_in),  u = rng.uniform() in [0, 1)
    /// fan_in: inputs (linear), k·k·Ci (convolution), k·k·Co (transposed convolution)
    /// ```
    public func initialize(_ p: UnsafeMutablePointer<Float>, rng: inout SeededRandom) {
        for b in blocks {
            let bound = 1 / Float(b.fanIn).squareRoot()
            for i in 0 ..< b.weightCount { p[b.weightOffset + i] = (2 * rng.uniform() - 1) * bound }
            for i in 0 ..< b.biasCount { p[b.biasOffset + i] = (2 * rng.uniform() - 1) * bound }
        }
        if let o = logVarianceOffset {
            for i in o ..< (pseudoInputsOffset ?? count) { p[i] = 0 }
        }
        if let o = pseudoInputsOffset {
            for i in o ..< count { p[i] = rng.uniform() }
        }
    }
}
