// The variational autoencoder of Kingma & Welling (2014): an encoder q(z|x) = N(mu, sigma²), the
// reparameterized sample z = mu + sigma · eps, a decoder p(x|z), trained by Adam on the negative
// ELBO summed over the batch. Encoder and decoder are an MLP or convolutional networks, as the
// `ModelConfig` says; everything else (latent layer, likelihoods, Adam, the API) is shared.
// Forward and backward are written by hand over OpenBLAS; all parameters, gradients and Adam
// moments live in one allocation, all activations in one `Workspace` (one per thread in
// data-parallel training, SliceThreads.swift), so a training step allocates nothing. See
// docs/METHOD.md for the derivation.
//
// This file holds the model's state and the order of a pass (`forwardBackward`); the layers are
// pairs of plain functions beside it: Layers.swift (linear, ReLU, the MLP), ConvLayers.swift (the
// convolutions), Latent.swift, Likelihood.swift, Estimators.swift, Conditioning.swift.
//
// B = examples in the batch, L = Monte Carlo samples per example, D = input size,
// Z = latent size, h_i = hidden widths, P = number of parameters; conv: Hi × Wi × Ci and
// Ho × Wo × Co a convolution's input and output (channels last), k = kernel.
import COpenBLAS
import Foundation

/// The loss of a batch, per example (means over the batch), in nats.
public struct LossParts: Equatable, Sendable {
    /// The objective that was optimized: reconstruction + beta · kl.
    public var total: Double
    /// -(1/L) Σ_l log p(x | z_l), the expected negative log-likelihood.
    public var reconstruction: Double
    /// KL(q(z|x) || p(z)) in closed form.
    public var kl: Double

    public init(total: Double, reconstruction: Double, kl: Double) {
        self.total = total
        self.reconstruction = reconstruction
        self.kl = kl
    }

    public static let zero = LossParts(total: 0, reconstruction: 0, kl: 0)

    /// The negative ELBO, reconstruction + kl (whatever beta was used for `total`).
    public var negativeELBO: Double { reconstruction + kl }
}

/// A VAE with its parameters, gradients, Adam state and workspace.
///
/// Parameters, gradients and Adam's m and v are four views of one allocation of 4P Floats, each
/// in the layout of `layout`. The workspace holds every activation for up to `batchCapacity`
/// examples and `mcSamples` samples; it grows (once) if a larger batch arrives.
///
/// A model is not thread-safe: every method uses the one workspace. Use one model per thread.
/// With `useThreads(T)`, T > 1, a training step splits its batch over T threads of its own
/// (see `SliceThreads`), and inference shares its pieces among them (Inference.swift).
public final class VAE {
    public let config: ModelConfig
    public let layout: ParameterLayout
    /// Adam's hyperparameters and step count.
    public var optimizer: Adam
    /// L, the Monte Carlo samples per example in `trainStep`.
    public var mcSamples: Int
    /// How the encoder's gradient of the reconstruction term is estimated (Estimators.swift).
    public var estimator = GradientEstimator.reparameterization
    /// The moving-average baseline of `GradientEstimator.scoreFunctionBaseline`, moved by `trainStep`.
    public var scoreBaseline = ScoreBaseline()
    /// What `trainStep` minimizes: the negative ELBO, or the negative IWAE bound with
    /// `mcSamples` samples (MonteCarloObjective.swift).
    public var objective = TrainingObjective.elbo
    /// Estimate the ELBO's KL with the samples even where it has a closed form (the standard
    /// normal prior): the IWAE objective with one sample is then the same loss.
    public var monteCarloKL = false

    private let memory: UnsafeMutablePointer<Float>  // (4, P): parameters | gradients | m | v
    /// The parameters (P), in the layout of `layout`.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// The gradients (P) of the last step: every forward-backward pass (`trainStep`,
    /// `computeGradients`) sets all of them, whatever they held (`forwardBackward`). After
    /// a `trainStep` on 2 threads they hold slice 0's part only: Adam reads the two slices' sum
    /// without storing it (`Adam.update(range:parameters:gradients:adding:...)`).
    public let gradients: UnsafeMutableBufferPointer<Float>
    /// Adam's first moment (P).
    public let adamM: UnsafeMutableBufferPointer<Float>
    /// Adam's second moment (P).
    public let adamV: UnsafeMutableBufferPointer<Float>
    /// The activations of inference, and of slice 0 of a training step.
    var ws: Workspace
    /// The threads, slices and reduction of data-parallel training (one thread: no workers).
    var sliceThreads: SliceThreads
    /// The largest im2col matrix of one chunk of images in the conv passes (`ImageChunks`), at
    /// most `Workspace.chunkFloats`. Tests lower it to 1 (one image a chunk).
    var imageChunkFloats = Workspace.chunkFloats
    /// B of inference: the examples of one piece (Inference.swift), the batch capacity the model
    /// was made with. Fixed for the model's life, so that inference's bits are too.
    public let inferenceBatch: Int
    /// The samples per example the workspaces of inference hold (`mcSamples` when made).
    let inferenceSamples: Int
    /// The decoder rows of one piece of inference: `inferenceBatch · inferenceSamples`.
    var inferenceRows: Int { inferenceBatch * inferenceSamples }

    /// A new model with PyTorch-style initial weights drawn from `SeededRandom(seed: seed)`.
    /// - Parameters:
    ///   - batchCapacity: the largest batch expected (the workspace grows if a larger one comes).
    ///   - mcSamples: L, samples of z per example in training (at least 1).
    public init(config: ModelConfig, seed: UInt64, batchCapacity: Int = 128, mcSamples: Int = 1,
                learningRate: Double = 1e-3) throws(ModelError) {
        try config.validate()
        // Every thread that computes with a model flushes subnormal numbers to zero (the pool's
        // workers do the same when they start): same bits on every run, no slow microcode assists.
        vae_flush_subnormals()
        // OpenBLAS computes on the calling thread only, in every process: the model splits its
        // work over threads itself, in pieces whose products have the same shapes whatever the
        // thread count, so that the bits depend on neither OpenBLAS's threads nor its setting.
        openblas_set_num_threads(1)
        if batchCapacity < 1 { throw ModelError(.invalidArgument, "batch capacity is \(batchCapacity), must be positive") }
        if mcSamples < 1 { throw ModelError(.invalidArgument, "mcSamples is \(mcSamples), must be positive") }
        self.config = config
        layout = ParameterLayout(config: config)
        optimizer = Adam(learningRate: learningRate)
        self.mcSamples = mcSamples
        inferenceBatch = batchCapacity
        inferenceSamples = mcSamples
        let p = layout.count
        memory = .allocate(capacity: 4 * p)
        memory.initialize(repeating: 0, count: 4 * p)
        parameters = UnsafeMutableBufferPointer(start: memory, count: p)
        gradients = UnsafeMutableBufferPointer(start: memory + p, count: p)
        adamM = UnsafeMutableBufferPointer(start: memory + 2 * p, count: p)
        adamV = UnsafeMutableBufferPointer(start: memory + 3 * p, count: p)
        ws = Workspace(layout: layout, config: config, batch: batchCapacity, samples: mcSamples)
        sliceThreads = SliceThreads(threads: 1, layout: layout)
        var rng = SeededRandom(seed: seed)
        layout.initialize(memory, rng: &rng)
    }

    deinit { memory.deallocate() }

    /// Overwrites the parameters, Adam's moments and state, and the score-function baseline with
    /// saved ones (VAETrain's checkpoints hold them), which must be for this model's `config` and
    /// hold P entries each; gradients are set to zero.
    public func restore(config saved: ModelConfig, parameters p: [Float], adamM m: [Float], adamV v: [Float],
                        optimizer adam: Adam, scoreBaseline baseline: ScoreBaseline) throws(ModelError) {
        guard saved == config else {
            throw ModelError(.mismatch, "checkpoint is for another model (\(saved)), this one is \(config)")
        }
        let count = layout.count
        guard p.count == count, m.count == count, v.count == count else {
            throw ModelError(.mismatch, "checkpoint arrays have \(p.count), \(m.count), \(v.count) entries, the model has \(count) parameters")
        }
        _ = parameters.update(from: p)
        _ = adamM.update(from: m)
        _ = adamV.update(from: v)
        zeroGradients()
        optimizer = adam
        scoreBaseline = baseline
    }

    var P: UnsafeMutablePointer<Float> { memory }
    var G: UnsafeMutablePointer<Float> { memory + layout.count }

    /// Makes the workspace hold `batch` examples with `samples` samples each.
    func reserve(batch: Int, samples: Int) {
        if batch > ws.batch || samples > ws.samples {
            ws = Workspace(layout: layout, config: config, batch: max(batch, ws.batch), samples: max(samples, ws.samples))
        }
    }

    /// The encoder's input for `b` examples: x itself, or [x | y] for a conditional model.
    func encoderInput(_ x: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, rows b: Int, ws: Workspace) -> UnsafePointer<Float> {
        guard let c = ws.condition else { return x }
        let g = config.inputGroups
        appendOneHot(c.input, x, rows: b, groups: g.count, width: g.width, labels: labels, labelCount: b, classes: config.classCount)
        return UnsafePointer(c.input)
    }

    /// The decoder's input for `r` rows of z whose labels repeat every `b` rows: z itself, or [z | y].
    func decoderInput(_ z: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, rows r: Int, examples b: Int,
                      ws: Workspace) -> UnsafePointer<Float> {
        guard let c = ws.condition else { return z }
        appendOneHot(c.zy, z, rows: r, groups: 1, width: config.latentSize, labels: labels, labelCount: b, classes: config.classCount)
        return UnsafePointer(c.zy)
    }

    // MARK: - Training

    /// One training step on a batch: draws eps, runs forward and backward, and updates the
    /// parameters with Adam.
    /// - Parameters:
    ///   - x: (count, D) the batch, values in [0, 1].
    ///   - count: B; a batch larger than the workspace grows it (once); 0 does nothing.
    ///   - beta: the weight of the KL term (1 for the ELBO; less during a KL warm-up).
    ///   - rng: the source of eps, L·B·Z normals drawn sample-major.
    ///   - labels: (count) the examples' classes, for a conditional model (ignored otherwise; a
    ///     conditional model given none, or a label outside its classes, sees y = 0).
    /// - Returns: the per-example loss of this batch before the update.
    @discardableResult
    public func trainStep(batch x: UnsafePointer<Float>, count: Int, beta: Float,
                          rng: inout SeededRandom, labels: UnsafePointer<UInt16>? = nil) -> LossParts {
        if count <= 0 { return .zero }
        let parts: LossParts
        if sliceThreads.threads > 1 {
            parts = parallelTrainStep(batch: x, count: count, beta: beta, rng: &rng, labels: labels)
        } else {
            reserve(batch: count, samples: mcSamples)
            rng.fillNormals(ws.eps, count: mcSamples * count * config.latentSize)
            let sums = forwardBackward(x, labels: labels, count: count, beta: beta, samples: mcSamples, ws: ws, gradients: G)
            optimizer.update(parameters: P, gradients: G, m: adamM.baseAddress!, v: adamV.baseAddress!,
                             count: layout.count)
            parts = sums.parts(examples: count, beta: beta)
        }
        moveScoreBaseline(after: parts)
        return parts
    }

    /// Moves the score-function baseline (with that estimator) by a finished step's loss: every
    /// training step ends here, in one process or in the ranks of a distributed step.
    public func moveScoreBaseline(after parts: LossParts) {
        // The mean of -log p(x|z) over the batch's rows is the per-example reconstruction term.
        if estimator == .scoreFunctionBaseline { scoreBaseline.update(batchMean: parts.reconstruction) }
    }

    /// The loss and its gradient for given eps, without updating anything but `gradients` (which
    /// are cleared first, then set, all of them). For gradient checks and reference tests.
    /// - Parameters:
    ///   - eps: (L, count, Z) standard normals, sample-major: eps[(l·count + b)·Z + j].
    ///   - samples: L.
    @discardableResult
    public func computeGradients(batch x: UnsafePointer<Float>, count: Int, beta: Float,
                                 samples: Int, eps: UnsafePointer<Float>, labels: UnsafePointer<UInt16>? = nil) -> LossParts {
        computeGradientSums(batch: x, count: count, beta: beta, samples: samples, eps: eps, labels: labels)
            .parts(examples: count, beta: beta)
    }

    /// `computeGradients`, returning the loss sums before they are divided by the examples: what
    /// the ranks of a distributed step add up, so that their sum is that of one process.
    public func computeGradientSums(batch x: UnsafePointer<Float>, count: Int, beta: Float, samples: Int,
                                    eps: UnsafePointer<Float>, labels: UnsafePointer<UInt16>? = nil) -> PassSums {
        if count <= 0 || samples <= 0 { zeroGradients(); return PassSums() }
        if sliceThreads.threads > 1 {
            return parallelGradients(batch: x, count: count, beta: beta, samples: samples, eps: eps, labels: labels)
        }
        reserve(batch: count, samples: samples)
        ws.eps.update(from: eps, count: samples * count * config.latentSize)
        return forwardBackward(x, labels: labels, count: count, beta: beta, samples: samples, ws: ws, gradients: G)
    }

    /// Sets every gradient to zero. A forward-backward pass needs no clearing before it: it sets
    /// every gradient of the buffer it writes (`forwardBackward`).
    public func zeroGradients() {
        gradients.update(repeating: 0)
    }

    /// Forward and backward for eps already in `ws`: sets every one of `gradients` (P), whatever
    /// they held. At its start, in one place (as llm.c's gpt2_zero_grad), it clears the gradients
    /// that backward adds into (`layout.summedRanges`: biases and log-variance); each weight's
    /// gradient is cleared by its layer's first product, right before the product adds into it
    /// (`linearBackward`). The pass of one slice of a batch in data-parallel training, or of the
    /// whole batch on one thread.
    func forwardBackward(_ x: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, count b: Int, beta: Float, samples l: Int,
                         ws: Workspace, gradients g: UnsafeMutablePointer<Float>) -> PassSums {
        let zs = config.latentSize, r = l * b
        if b == 0 { g.update(repeating: 0, count: layout.count); return PassSums() }
        for range in layout.summedRanges { (g + range.lowerBound).update(repeating: 0, count: range.count) }

        // Forward: encoder (the batch, then the VampPrior's pseudo-inputs: E rows), latent, decoder,
        // likelihood (which also gives the logits' gradient, each row scaled by its weight).
        let e = b + config.prior.pseudoInputs
        let xin = trainingEncoderInput(x, labels: labels, rows: b, ws: ws)
        encoderForward(xin, rows: e, ws: ws)
        let monteCarlo = usesMonteCarloObjective
        latentForward(z: ws.z, sigma: ws.sigma, kl: monteCarlo ? nil : ws.kl, head: ws.head, eps: ws.eps,
                      examples: b, latent: zs, samples: l)
        let zin = decoderInput(ws.z, labels: labels, rows: r, examples: b, ws: ws)
        decoderForward(zin, rows: r, into: ws.logits, ws: ws)
        var monteCarloSums: (loss: Double, kl: Double)? = nil
        let mixture = mixtureComponents(head: ws.head + b * 2 * zs, ws: ws)
        if monteCarlo {
            likelihoodPass(grad: nil, biasGrad: nil, x: x, rows: r, examples: b, scale: 1, ws: ws, gradients: nil)
            logPriorForward(ws.logPrior, z: ws.z, rows: r, latent: zs, mixture: mixture)
            monteCarloSums = monteCarloForward(weight: ws.rowWeight, logPosterior: ws.logPosterior, logPrior: ws.logPrior,
                                               logLikelihood: ws.logLik, head: ws.head, eps: ws.eps, objective: objective,
                                               examples: b, latent: zs, samples: l, beta: beta)
        }
        let rowScale = monteCarlo ? UnsafePointer(ws.rowWeight) : nil
        if let out = layout.output {
            likelihoodPass(grad: ws.logits, biasGrad: g + out.biasOffset, x: x, rows: r, examples: b, scale: 1 / Float(l),
                           rowScale: rowScale, ws: ws, gradients: g)
        } else {
            // The last transposed convolution's bias is per channel: sum the per-pixel sums by channel.
            let last = layout.convDecoder.last!
            ws.pixelGrad.update(repeating: 0, count: config.inputSize)
            likelihoodPass(grad: ws.logits, biasGrad: ws.pixelGrad, x: x, rows: r, examples: b, scale: 1 / Float(l),
                           rowScale: rowScale, ws: ws, gradients: g)
            sumRows(ws.pixelGrad, rows: last.outHeight * last.outWidth, cols: last.outChannels, into: g + last.biasOffset)
        }

        // Backward through the decoder to dz, the latent layer (and the prior) to dHead, and the encoder.
        var scratch = ws.gradA
        func nextScratch() -> UnsafeMutablePointer<Float> {
            defer { scratch = scratch == ws.gradA ? ws.gradB : ws.gradA }
            return scratch
        }
        let dzin = ws.condition?.dzy ?? ws.dz
        if let out = layout.output {
            mlpBackward(dzin, g, ws.logits, ws.decoder, zin, P, hidden: layout.decoder, last: out, rows: r, scratch: nextScratch)
        } else {
            let projection = layout.decoder[0]
            let dProjection = convDecoderBackward(g, ws.logits, ws.decoder, P, layers: layout.convDecoder, images: r,
                                                  chunks: imageChunks(ws), scratch: nextScratch)
            // The projection (linear, bias, ReLU): its ReLU's mask and bias gradient, then the linear layer.
            reluBiasBackward(dProjection, g + projection.biasOffset, ws.decoder[0], rows: r, cols: projection.outputs)
            mlpBackward(dzin, g, dProjection, [], zin, P, hidden: [], last: projection, rows: r, scratch: nextScratch)
        }
        if let c = ws.condition { dropOneHotGradient(ws.dz, c.dzy, rows: r, latent: zs, classes: config.classCount) }
        let h = layout.head
        if monteCarlo {
            // The prior's rows of dHead: the gradient of the components [mu_k | logvar_k].
            let dMixture = ws.dHead + b * 2 * zs
            dMixture.update(repeating: 0, count: (e - b) * 2 * zs)
            logPriorBackward(dz: ws.dz, dMixture: mixture == nil ? nil : dMixture, z: ws.z, logPrior: ws.logPrior,
                             weight: ws.rowWeight, rows: r, latent: zs, beta: beta, mixture: mixture)
            monteCarloBackward(dHead: ws.dHead, headBiasGrad: g + h.biasOffset, dz: ws.dz, sigma: ws.sigma, eps: ws.eps,
                               weight: ws.rowWeight, examples: b, latent: zs, samples: l, beta: beta)
            sumRows(dMixture, rows: e - b, cols: 2 * zs, into: g + h.biasOffset)
        } else if estimator == .reparameterization {
            latentBackward(dHead: ws.dHead, headBiasGrad: g + h.biasOffset, dz: ws.dz, head: ws.head,
                           sigma: ws.sigma, eps: ws.eps, examples: b, latent: zs, samples: l, beta: beta)
        } else {
            let c = estimator == .scoreFunction ? 0 : scoreBaseline.current(batchMean: meanNegativeLogLikelihood(ws.logLik, rows: r))
            scoreFunctionBackward(dHead: ws.dHead, headBiasGrad: g + h.biasOffset, logLikelihood: ws.logLik, head: ws.head,
                                  sigma: ws.sigma, eps: ws.eps, baseline: c, examples: b, latent: zs, samples: l, beta: beta)
        }
        // The encoder, over the batch and the pseudo-inputs; the pseudo-inputs' own gradient is
        // the input gradient of their rows.
        let dPseudo = layout.pseudoInputsOffset.map { g + $0 }
        if layout.convEncoder.isEmpty {
            mlpBackward(dPseudo, g, ws.dHead, ws.encoder, xin, P, hidden: layout.encoder, last: h, rows: e,
                        inputGradientFrom: b, scratch: nextScratch)
        } else {
            let dFlat = nextScratch()
            mlpBackward(dFlat, g, ws.dHead, [], ws.encoder.last!, P, hidden: [], last: h, rows: e, scratch: nextScratch)
            convEncoderBackward(g, dFlat, ws.encoder, xin, P, layers: layout.convEncoder, images: e, chunks: imageChunks(ws),
                                inputGradient: dPseudo, inputGradientFrom: b, scratch: nextScratch)
        }
        var sums = lossSums(ws, examples: b, samples: l)
        if let mc = monteCarloSums {
            sums.kl = mc.kl
            sums.objective = mc.loss
        }
        return sums
    }

    /// Whether training estimates the KL with the samples (`MonteCarloObjective.swift`): for the
    /// IWAE objective, the VampPrior, or when `monteCarloKL` asks for it.
    public var usesMonteCarloObjective: Bool { objective == .iwae || config.prior != .standard || monteCarloKL }

    /// The encoder's input of a training pass: the batch's (`encoderInput`), then for the VampPrior
    /// the K pseudo-inputs, in `ws.priorInput` (E, D).
    func trainingEncoderInput(_ x: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, rows b: Int,
                              ws: Workspace) -> UnsafePointer<Float> {
        let xin = encoderInput(x, labels: labels, rows: b, ws: ws)
        guard let offset = layout.pseudoInputsOffset else { return xin }
        let d = config.inputSize
        ws.priorInput.update(from: xin, count: b * d)
        (ws.priorInput + b * d).update(from: P + offset, count: config.prior.pseudoInputs * d)
        return UnsafePointer(ws.priorInput)
    }

    /// The VampPrior's components at `head` (K, 2Z), in the memory of `ws`; nil for N(0, I).
    func mixtureComponents(head: UnsafePointer<Float>, ws: Workspace) -> MixtureComponents? {
        let k = config.prior.pseudoInputs
        return k == 0 ? nil : MixtureComponents(head: head, count: k, latent: config.latentSize, buffers: ws.mixture)
    }

    /// The conv passes' chunks of images over the scratch of `ws`, on the model's threads.
    func imageChunks(_ ws: Workspace) -> ImageChunks {
        ImageChunks(cols: ws.cols, patchGradient: ws.patchGradient, pool: sliceThreads.pool,
                    chunkFloats: min(imageChunkFloats, Workspace.chunkFloats))
    }

    /// Sums the workspace's per-row negative log-likelihoods (divided by L) and per-example KL.
    func lossSums(_ ws: Workspace, examples b: Int, samples l: Int) -> PassSums {
        var rec = 0.0, kl = 0.0
        for r in 0 ..< l * b { rec -= Double(ws.logLik[r]) }
        rec /= Double(l)
        for i in 0 ..< b { kl += Double(ws.kl[i]) }
        return PassSums(reconstruction: rec, kl: kl)
    }

    // MARK: - Forward pieces

    /// x (B, D) -> ws.head (B, 2Z) = [mu | logvar], hidden activations kept in ws.encoder: the MLP,
    /// or the convolutions (ConvLayers.swift) and the linear head.
    func encoderForward(_ x: UnsafePointer<Float>, rows b: Int, ws: Workspace) {
        if layout.convEncoder.isEmpty {
            mlpForward(ws.head, ws.encoder, x, P, hidden: layout.encoder, last: layout.head, rows: b)
            return
        }
        convEncoderForward(ws.encoder, x, P, layers: layout.convEncoder, images: b, chunks: imageChunks(ws))
        mlpForward(ws.head, [], ws.encoder.last!, P, hidden: [], last: layout.head, rows: b)
    }

    /// z (R, Z) -> logits (R, D), hidden activations kept in ws.decoder. R <= ws.rows. The MLP, or
    /// the projection (linear, bias, ReLU) and the transposed convolutions (ConvLayers.swift).
    func decoderForward(_ z: UnsafePointer<Float>, rows r: Int, into logits: UnsafeMutablePointer<Float>, ws: Workspace) {
        if let output = layout.output {
            mlpForward(logits, ws.decoder, z, P, hidden: layout.decoder, last: output, rows: r)
            return
        }
        let p = P
        let projection = layout.decoder[0]
        linearForward(ws.decoder[0], z, p + projection.weightOffset, bias: p + projection.biasOffset,
                      rows: r, inputs: projection.inputs, outputs: projection.outputs)
        reluForward(ws.decoder[0], count: r * projection.outputs)
        convDecoderForward(logits, ws.decoder, p, layers: layout.convDecoder, images: r, chunks: imageChunks(ws))
    }

    /// ws.logLik (R) from ws.logits (R, D) and x (B, D); with `grad`, also the loss gradient of
    /// the logits (written over them), the output bias gradient, and the log-variance gradient.
    func likelihoodPass(grad: UnsafeMutablePointer<Float>?, biasGrad: UnsafeMutablePointer<Float>?,
                        x: UnsafePointer<Float>, rows r: Int, examples b: Int, scale: Float,
                        rowScale: UnsafePointer<Float>? = nil, ws: Workspace, gradients: UnsafeMutablePointer<Float>?) {
        let d = config.inputSize
        switch config.likelihood {
        case .bernoulli:
            bernoulliPass(grad: grad, logLik: ws.logLik, biasGrad: biasGrad, logits: ws.logits, x: x,
                          rows: r, examples: b, size: d, scale: scale, rowScale: rowScale)
        case .gaussianLearned:
            let lv = P + layout.logVarianceOffset!
            for j in 0 ..< d { ws.precision[j] = Foundation.exp(-lv[j]) }
            gaussianPass(grad: grad, logLik: ws.logLik, biasGrad: biasGrad,
                         logVarGrad: gradients.map { $0 + layout.logVarianceOffset! },
                         logits: ws.logits, x: x, logVariance: lv, precision: ws.precision,
                         rows: r, examples: b, size: d, scale: scale, rowScale: rowScale)
        case .gaussianFixed(let sigma):
            let logVariance = 2 * Foundation.log(sigma)
            for j in 0 ..< d {
                ws.logVariance[j] = logVariance
                ws.precision[j] = 1 / (sigma * sigma)
            }
            gaussianPass(grad: grad, logLik: ws.logLik, biasGrad: biasGrad, logVarGrad: nil,
                         logits: ws.logits, x: x, logVariance: ws.logVariance, precision: ws.precision,
                         rows: r, examples: b, size: d, scale: scale, rowScale: rowScale)
        }
    }

    // MARK: - Data

    /// Replaces each pixel by a fresh Bernoulli draw with the pixel as its probability
    /// (dynamic binarization): out = u < x ? 1 : 0, u uniform in [0, 1). `out` may be `x`.
    /// - Parameters: x, out: (count) Floats, e.g. count = B·D.
    public static func binarize(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int,
                                rng: inout SeededRandom) {
        for i in 0 ..< count { out[i] = rng.uniform() < x[i] ? 1 : 0 }
    }
}
