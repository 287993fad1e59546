// One training step shared by the N ranks of an mpirun job (synchronous data parallelism), with
// the same batch, the same random draws and the same Adam update on every rank as a single
// process makes, and gradients summed in a fixed order:
//
//   1. every rank holds the whole batch (B, D) and its labels, and makes every draw of the step
//      from the same generator state: the binarization of the whole batch (by the trainer), then
//      all L·B·Z normals of eps;
//   2. rank r takes the fixed slice `BatchSlices(count: B, parts: N).range(r)` of the examples,
//      their labels (a conditional model) and eps, and computes the gradient of its slice's
//      summed loss (with the score-function estimators, from the baseline every rank holds; at
//      the first step, which has none, each slice's own mean, as a thread's slice uses);
//   3. the N gradients are summed in rank order, as are the slices' loss sums: rank k sums
//      parameter range k of `GradientReduction(count: P, ranges: N)` with
//      `GradientReduction.accumulate` (the reduction of the threads inside one process, here
//      over processes) and sends it to the others (`Ranks.sumInRankOrder`); every rank then
//      has the gradient of the whole batch's summed loss;
//   4. every rank applies the same Adam update to the same parameters, and moves the
//      score-function baseline by the whole batch's mean reconstruction loss (the summed one),
//      so the baseline, too, is the same on every rank and in every checkpoint.
//
// So the bytes of the parameters depend on N (the order of the sum and the slices' products)
// and the thread count per rank, and on nothing else.
//
// B = batch size, D = inputs per example, L = samples of z per example, Z = latent size,
// P = parameters.
import VAECluster
import VAEModel

/// The step of one rank (an mpirun job's process, or a test's thread), and its buffers, allocated
/// once per run. (The threads inside one rank share a batch through VAEModel's `SliceThreads`,
/// `VAE.useThreads`.)
final class DistributedStep {
    private let cluster: any Ranks
    private let model: VAE
    private let inputSize: Int
    private var eps: UnsafeMutablePointer<Float>       // (L, B, Z) the whole batch's draws
    private var sliceEps: UnsafeMutablePointer<Float>  // (L, slice, Z)
    private var capacity: Int
    private let reduction: GradientReduction
    private let scratch: UnsafeMutablePointer<Float>   // (N, longest range) the ranks' copies of this rank's range

    init(cluster: any Ranks, model: VAE, inputSize: Int, batchSize: Int) {
        self.cluster = cluster
        self.model = model
        self.inputSize = inputSize
        capacity = batchSize
        let n = model.mcSamples * batchSize * model.config.latentSize
        eps = .allocate(capacity: n)
        sliceEps = .allocate(capacity: n)
        reduction = GradientReduction(count: model.layout.count, ranges: cluster.size)
        scratch = .allocate(capacity: reduction.rankScratchCount)
    }

    deinit {
        eps.deallocate()
        sliceEps.deallocate()
        scratch.deallocate()
    }

    /// One step on the batch `x` (count, D) and its `labels` (count; nil for an unconditional
    /// model), held whole by every rank, already binarized if the run binarizes.
    /// - Parameter rng: the run's generator, which draws the whole batch's eps.
    /// - Returns: the per-example loss of the whole batch before the update.
    func step(batch x: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, count: Int, beta: Float,
              rng: inout SeededRandom) throws -> LossParts {
        // Every rank has its batch (reading it is what can fail here), or one failed and says so.
        _ = try cluster.agree()
        let l = model.mcSamples, z = model.config.latentSize
        if count > capacity {
            eps.deallocate(); sliceEps.deallocate()
            capacity = count
            eps = .allocate(capacity: l * count * z)
            sliceEps = .allocate(capacity: l * count * z)
        }
        // 1. Every normal of the step, in a single process's order.
        rng.fillNormals(eps, count: l * count * z)
        // 2. This rank's slice of the examples, their labels and eps (sample-major: eps[(s·B + b)·Z + j]).
        let slice = BatchSlices(count: count, parts: cluster.size).range(cluster.rank)
        for s in 0 ..< l {
            (sliceEps + s * slice.count * z).update(from: eps + (s * count + slice.lowerBound) * z, count: slice.count * z)
        }
        let mine = model.computeGradientSums(batch: x + slice.lowerBound * inputSize, count: slice.count, beta: beta,
                                             samples: l, eps: sliceEps, labels: labels.map { $0 + slice.lowerBound })
        // 3. The sums over the ranks, in rank order: the loss sums, then the gradients.
        let sums = try cluster.sumInRankOrder([mine.reconstruction, mine.kl, mine.objective ?? 0])
        try cluster.sumGradients(model.gradients.baseAddress!, reduction: reduction, scratch: scratch)
        // 4. The same update on every rank, and the same move of the score-function baseline,
        // from the whole batch's loss.
        model.optimizer.update(parameters: model.parameters.baseAddress!, gradients: model.gradients.baseAddress!,
                               m: model.adamM.baseAddress!, v: model.adamV.baseAddress!, count: model.layout.count)
        let objective = model.usesMonteCarloObjective ? sums[2] : nil
        let parts = PassSums(reconstruction: sums[0], kl: sums[1], objective: objective).parts(examples: count, beta: beta)
        model.moveScoreBaseline(after: parts)
        return parts
    }
}

extension Ranks {
    /// Sums the ranks' gradients `g` (P = reduction.count floats) in rank order, in place on every
    /// rank: rank k sums parameter range k of `reduction` (its ranges are the ranks).
    /// - Parameter scratch: `reduction.rankScratchCount` floats.
    public func sumGradients(_ g: UnsafeMutablePointer<Float>, reduction: GradientReduction, scratch: UnsafeMutablePointer<Float>) throws {
        try sumInRankOrder(g, ranges: (0 ..< size).map { reduction.range($0) }, scratch: scratch) { first, rest, length in
            GradientReduction.accumulate(into: first, rest, range: 0 ..< length)
        }
    }
}

extension GradientReduction {
    /// The scratch floats `Ranks.sumGradients` needs: one copy of the longest range per rank.
    public var rankScratchCount: Int {
        ranges * ((0 ..< ranges).map { range($0).count }.max() ?? 0)
    }
}
