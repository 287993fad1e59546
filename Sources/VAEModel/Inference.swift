// Inference: the loss without gradients, the encoder's codes and the decoder's means, for any
// number of examples. The examples are cut into pieces of `inferenceBatch` (the batch capacity
// the model was made with), and the pieces are shared among the model's threads, each with a
// workspace of its own. Every product of a piece has the same shape whoever computes it, and
// OpenBLAS computes on one thread in every process (`VAE.init`): so the bits of an output row
// depend on the piece it falls in (its position among the call's examples), never on the thread
// count, the process count, OPENBLAS_NUM_THREADS or which thread took the piece. Sums over
// pieces are added in piece order. See docs/METHOD.md, "What is exact".
//
// N = examples of the call, B = inferenceBatch (examples per piece), R = inferenceRows (decoder
// rows per piece), Z = latent size, D = input size, T = threads.
import COpenBLAS

/// How `count` items are cut into pieces of `size` (the last one shorter): piece p holds
/// [p·size, min((p+1)·size, count)).
struct Pieces {
    let count: Int
    let size: Int

    /// The number of pieces.
    var number: Int { (count + size - 1) / size }

    func range(_ p: Int) -> Range<Int> { p * size ..< min((p + 1) * size, count) }
}

extension VAE {
    /// Calls `body(piece, items, ws)` for every piece of `pieces`, pieces k, k + T, k + 2T, ... on
    /// thread k with a workspace of that thread's (one of at least `inferenceBatch` examples of
    /// `inferenceSamples` samples). Returns when all are done.
    func forEachPiece(_ pieces: Pieces, _ body: (Int, Range<Int>, Workspace) -> Void) {
        let n = pieces.number
        if n <= 1 || sliceThreads.threads == 1 {
            for p in 0 ..< n { body(p, pieces.range(p), ws) }
            return
        }
        let dp = sliceThreads, main = ws, t = dp.threads
        dp.reserveInference(batch: inferenceBatch, samples: inferenceSamples, layout: layout, config: config)
        dp.pool.run { k in
            let w = k == 0 ? main : dp.inferenceWorkspaces[k - 1]
            var p = k
            while p < n {
                body(p, pieces.range(p), w)
                p += t
            }
        }
    }

    /// The loss of `count` examples with one sample of z per example, forward only (no
    /// gradients, no update), as sums (`evaluate` gives the means). The KL is in closed form for
    /// the standard normal prior, else the one-sample estimate log q(z|x) - log p(z).
    /// - Parameters:
    ///   - x: (count, D), values in [0, 1].
    ///   - rng: the source of eps, count·Z normals drawn piece by piece in example order (the
    ///     draws do not depend on the threads).
    ///   - labels: (count) for a conditional model.
    public func evaluationSums(batch x: UnsafePointer<Float>, count: Int, rng: inout SeededRandom,
                               labels: UnsafePointer<UInt16>? = nil) -> PassSums {
        if count <= 0 { return PassSums() }
        let zs = config.latentSize, d = config.inputSize
        let pieces = Pieces(count: count, size: inferenceBatch)
        var normals = [Float](repeating: 0, count: count * zs)  // (N, Z)
        var sums = [PassSums](repeating: PassSums(), count: pieces.number)
        let heads = mixtureHeads()
        normals.withUnsafeMutableBufferPointer { eps in
            for p in 0 ..< pieces.number {
                let range = pieces.range(p)
                rng.fillNormals(eps.baseAddress! + range.lowerBound * zs, count: range.count * zs)
            }
        }
        normals.withUnsafeBufferPointer { eps in
            sums.withUnsafeMutableBufferPointer { sums in
                forEachPiece(pieces) { p, range, ws in
                    let b = range.count, xb = x + range.lowerBound * d, yb = labels.map { $0 + range.lowerBound }
                    encoderForward(encoderInput(xb, labels: yb, rows: b, ws: ws), rows: b, ws: ws)
                    ws.eps.update(from: eps.baseAddress! + range.lowerBound * zs, count: b * zs)
                    latentForward(z: ws.z, sigma: ws.sigma, kl: ws.kl, head: ws.head, eps: ws.eps,
                                  examples: b, latent: zs, samples: 1)
                    decoderForward(decoderInput(ws.z, labels: yb, rows: b, examples: b, ws: ws), rows: b, into: ws.logits, ws: ws)
                    likelihoodPass(grad: nil, biasGrad: nil, x: xb, rows: b, examples: b, scale: 1, ws: ws, gradients: nil)
                    sums[p] = lossSums(ws, examples: b, samples: 1)
                    heads.withUnsafeBufferPointer { h in
                        guard let mixture = mixtureComponents(head: h.baseAddress!, ws: ws) else { return }
                        logPriorForward(ws.logPrior, z: ws.z, rows: b, latent: zs, mixture: mixture)
                        sums[p].kl = monteCarloForward(weight: ws.rowWeight, logPosterior: ws.logPosterior, logPrior: ws.logPrior,
                                                       logLikelihood: ws.logLik, head: ws.head, eps: ws.eps, objective: .elbo,
                                                       examples: b, latent: zs, samples: 1, beta: 1).kl
                    }
                }
            }
        }
        return sums.reduce(into: PassSums()) { total, s in
            total.reconstruction += s.reconstruction
            total.kl += s.kl
        }
    }

    /// The per-example loss of `count` examples with one sample of z each (`evaluationSums`).
    /// - Parameter beta: the KL weight in `total` (1: the negative ELBO).
    public func evaluate(batch x: UnsafePointer<Float>, count: Int, beta: Float = 1,
                         rng: inout SeededRandom, labels: UnsafePointer<UInt16>? = nil) -> LossParts {
        if count <= 0 { return .zero }
        return evaluationSums(batch: x, count: count, rng: &rng, labels: labels).parts(examples: count, beta: beta)
    }

    /// The encoder's mean and log-variance of q(z|x) for `count` examples.
    /// - Parameters: x: (count, D); mu, logvar: (count, Z) outputs.
    public func encode(batch x: UnsafePointer<Float>, count: Int,
                       mu: UnsafeMutablePointer<Float>, logvar: UnsafeMutablePointer<Float>,
                       labels: UnsafePointer<UInt16>? = nil) {
        let zs = config.latentSize, d = config.inputSize
        forEachPiece(Pieces(count: count, size: inferenceBatch)) { _, range, ws in
            let b = range.count, start = range.lowerBound
            encoderForward(encoderInput(x + start * d, labels: labels.map { $0 + start }, rows: b, ws: ws), rows: b, ws: ws)
            for i in 0 ..< b {
                (mu + (start + i) * zs).update(from: ws.head + i * 2 * zs, count: zs)
                (logvar + (start + i) * zs).update(from: ws.head + i * 2 * zs + zs, count: zs)
            }
        }
    }

    /// The decoder's means for `count` latent vectors: Bernoulli probabilities, or Gaussian means
    /// (both sigmoid of the logits), in pieces of `inferenceRows`.
    /// - Parameters: z: (count, Z); means: (count, D) output.
    public func decode(z: UnsafePointer<Float>, count: Int, means: UnsafeMutablePointer<Float>,
                       labels: UnsafePointer<UInt16>? = nil) {
        let zs = config.latentSize, d = config.inputSize
        forEachPiece(Pieces(count: count, size: inferenceRows)) { _, range, ws in
            let r = range.count, start = range.lowerBound
            decoderForward(decoderInput(z + start * zs, labels: labels.map { $0 + start }, rows: r, examples: r, ws: ws),
                           rows: r, into: means + start * d, ws: ws)
            sigmoidInPlace(means + start * d, count: r * d)
        }
    }

    /// The encoder's means mu of `count` examples and the decoder's means at them: what `encode`
    /// then `decode` of mu give, but each piece of `inferenceBatch` examples is decoded on the
    /// thread that encoded it, in a product of that piece's rows. (`decode` cuts its rows into
    /// pieces of `inferenceRows`, whose boundaries in a call of T pieces move with T when the
    /// model has several samples per example; these never do.)
    /// - Parameters: x: (count, D); mu: (count, Z) output; means: (count, D) output; labels:
    ///   (count) for a conditional model, which encodes and decodes each example with its own.
    public func reconstruct(batch x: UnsafePointer<Float>, count: Int, mu: UnsafeMutablePointer<Float>,
                            means: UnsafeMutablePointer<Float>, labels: UnsafePointer<UInt16>? = nil) {
        let zs = config.latentSize, d = config.inputSize
        forEachPiece(Pieces(count: count, size: inferenceBatch)) { _, range, ws in
            let b = range.count, start = range.lowerBound, yb = labels.map { $0 + start }
            encoderForward(encoderInput(x + start * d, labels: yb, rows: b, ws: ws), rows: b, ws: ws)
            for i in 0 ..< b {
                (mu + (start + i) * zs).update(from: ws.head + i * 2 * zs, count: zs)
            }
            decoderForward(decoderInput(mu + start * zs, labels: yb, rows: b, examples: b, ws: ws),
                           rows: b, into: means + start * d, ws: ws)
            sigmoidInPlace(means + start * d, count: b * d)
        }
    }
}

extension SliceThreads {
    /// Makes `inferenceWorkspaces` hold one workspace of `batch` examples and `samples` samples
    /// for each thread but the first.
    func reserveInference(batch: Int, samples: Int, layout: ParameterLayout, config: ModelConfig) {
        if inferenceWorkspaces.count == threads - 1,
           inferenceWorkspaces.allSatisfy({ $0.batch >= batch && $0.samples >= samples }) { return }
        inferenceWorkspaces = (1 ..< threads).map { _ in
            Workspace(layout: layout, config: config, batch: batch, samples: samples)
        }
    }
}
