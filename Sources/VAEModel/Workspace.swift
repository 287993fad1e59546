// Every activation and scratch buffer of one forward and backward pass, allocated once for a
// maximum batch B and number of samples L, so that a training step allocates nothing.
//
// B = batch capacity, L = samples capacity, R = L·B decoder rows, D = input size, Z = latent size,
// K = the VampPrior's pseudo-inputs (0 for the standard normal), E = B + K encoder rows (the
// pseudo-inputs go through the encoder after the batch), h_i = hidden widths (MLP); Ho × Wo × Co = a convolution's output (conv, channels last),
// k = kernel; W = the largest activation per row (any layer, or 2Z).

/// The activations and scratch memory of a VAE, one allocation carved into named buffers.
final class Workspace {
    /// B, the most examples one pass can take.
    let batch: Int
    /// L, the most samples per example one pass can take (B·L decoder rows).
    let samples: Int
    var rows: Int { batch * samples }

    private let memory: UnsafeMutablePointer<Float>
    private let total: Int

    let encoder: [UnsafeMutablePointer<Float>]      // MLP (E, h_i); conv (E, Ho, Wo, Co): post-ReLU
    let head: UnsafeMutablePointer<Float>       // (E, 2Z) [mu | logvar]; rows B ..< E the prior's
    let sigma: UnsafeMutablePointer<Float>      // (B, Z) exp(logvar / 2)
    let kl: UnsafeMutablePointer<Float>         // (B)
    let eps: UnsafeMutablePointer<Float>        // (L·B, Z) standard normals, sample-major
    let z: UnsafeMutablePointer<Float>          // (L·B, Z)
    let decoder: [UnsafeMutablePointer<Float>]  // post-ReLU, latent side first: MLP (R, h); conv the
                                                // projection (R, h_k·w_k·c_k), then (R, Ho, Wo, Co)
                                                // of every transposed convolution but the last
    let cols: UnsafeMutablePointer<Float>       // conv: one chunk's patches (chunk, G_h·G_w, k·k·C)
    let patchGradient: UnsafeMutablePointer<Float>  // conv: one chunk's patch gradient, same shape
    let logits: UnsafeMutablePointer<Float>     // (L·B, D), overwritten by their gradient in backward
    let logLik: UnsafeMutablePointer<Float>     // (L·B) log p(x | z of the row)
    let gradA: UnsafeMutablePointer<Float>      // (L·B, W) scratch for hidden-layer gradients
    let gradB: UnsafeMutablePointer<Float>      // (L·B, W) the other half of the ping-pong
    let dz: UnsafeMutablePointer<Float>         // (L·B, Z)
    let dHead: UnsafeMutablePointer<Float>      // (E, 2Z)
    let logPrior: UnsafeMutablePointer<Float>   // (L·B) log p(z) (MonteCarloObjective.swift)
    let logPosterior: UnsafeMutablePointer<Float>  // (L·B) log q(z|x)
    let rowWeight: UnsafeMutablePointer<Float>  // (L·B) each row's weight in the loss
    let mixture: MixtureBuffers                 // (K, Z) + K + K, the VampPrior's components
    let priorInput: UnsafeMutablePointer<Float> // (E, D) [x | u] for the VampPrior
    let logVariance: UnsafeMutablePointer<Float>  // (D) per-pixel log-variance (Gaussian)
    let precision: UnsafeMutablePointer<Float>  // (D) exp(-logVariance)
    let pixelGrad: UnsafeMutablePointer<Float>  // (D) conv: the logits' gradient summed over rows,
                                                // before it is summed by channel into the bias
    /// A conditional model's [x | y], [z | y] and its gradient (Conditioning.swift); else nil.
    let condition: ConditionBuffers?

    init(layout: ParameterLayout, config c: ModelConfig, batch: Int, samples: Int) {
        self.batch = batch
        self.samples = samples
        let b = batch, r = batch * samples, d = c.inputSize, zs = c.latentSize
        let k = c.prior.pseudoInputs, e = b + k
        let encoderWidths = layout.encoder.map(\.outputs) + layout.convEncoder.map(\.outputCount)
        let decoderWidths = layout.decoder.map(\.outputs) + layout.convDecoder.dropLast().map(\.outputCount)
        let w = (encoderWidths + decoderWidths + [2 * zs]).max()!
        func chunk(_ v: ConvView, images: Int) -> Int {
            min(images, Workspace.chunkImages(colsPerImage: v.patches.colsSize)) * v.patches.colsSize
        }
        let scratch = (layout.convDecoder.map { chunk($0, images: r) } + layout.convEncoder.map { chunk($0, images: e) }).max() ?? 0
        let rw = max(r, e) * w
        var sizes: [Int] = encoderWidths.map { e * $0 }
        sizes += [e * 2 * zs, b * zs, b, r * zs, r * zs]              // head, sigma, kl, eps, z
        sizes += decoderWidths.map { r * $0 } + [scratch, scratch]    // decoder, cols, patchGradient
        sizes += [r * d, r, rw, rw, r * zs, e * 2 * zs, d, d, d]      // logits ... pixelGrad
        sizes += [r, r, r, k * zs, k, k, k > 0 ? e * d : 0]           // logPrior ... priorInput
        total = sizes.reduce(0, +)
        memory = .allocate(capacity: total)
        memory.initialize(repeating: 0, count: total)
        var offset = 0
        var views: [UnsafeMutablePointer<Float>] = []
        for s in sizes {
            views.append(memory + offset)
            offset += s
        }
        var next = views.makeIterator()
        func take(_ n: Int) -> [UnsafeMutablePointer<Float>] { (0 ..< n).map { _ in next.next()! } }
        encoder = take(encoderWidths.count)
        head = next.next()!; sigma = next.next()!; kl = next.next()!; eps = next.next()!; z = next.next()!
        decoder = take(decoderWidths.count)
        cols = next.next()!; patchGradient = next.next()!
        logits = next.next()!; logLik = next.next()!; gradA = next.next()!; gradB = next.next()!
        dz = next.next()!; dHead = next.next()!; logVariance = next.next()!; precision = next.next()!
        pixelGrad = next.next()!
        logPrior = next.next()!; logPosterior = next.next()!; rowWeight = next.next()!
        mixture = MixtureBuffers(precision: next.next()!, constant: next.next()!, densities: next.next()!)
        priorInput = next.next()!
        condition = c.isConditional ? ConditionBuffers(config: c, batch: batch, samples: samples) : nil
    }

    deinit { memory.deallocate() }

    /// The largest im2col matrix of one chunk of images in the conv passes: 512 KiB, a quarter
    /// of a 2 MiB L2, so that the matrix, the product's packed panels and col2im's output share it.
    static let chunkFloats = 1 << 17

    /// The images of one chunk: as many as keep the chunk's im2col matrix (`colsPerImage` Floats
    /// an image) within `chunkFloats`, and at least one.
    static func chunkImages(colsPerImage: Int, chunkFloats: Int = Workspace.chunkFloats) -> Int {
        max(1, chunkFloats / max(colsPerImage, 1))
    }
}
