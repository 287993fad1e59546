// One training step shared by the N ranks of an mpirun job (synchronous data parallelism), with
// the same batch, the same random draws and the same Adam update on every rank as a single
// process makes, and gradients summed in a fixed order:
//
//   1. every rank holds the whole batch (B, D) and makes every draw of the step from the same
//      generator state: the binarization of the whole batch, then all L·B·Z normals of eps;
//   2. rank r takes the fixed slice `BatchSlices(count: B, parts: N).range(r)` of the examples
//      and of eps, and computes the gradient of its slice's summed loss;
//   3. the N gradients are summed in rank order, as are the slices' loss sums: rank k sums
//      parameter range k of `GradientReduction(count: P, ranges: N)` with
//      `GradientReduction.accumulate` (the reduction of the threads inside one process, here
//      over processes) and sends it to the others (`Cluster.sumInRankOrder`); every rank then
//      has the gradient of the whole batch's summed loss;
//   4. every rank applies the same Adam update to the same parameters.
//
// So the bytes of the parameters depend on N (the order of the sum and the slices' products)
// and the thread count per rank, and on nothing else.
//
// B = batch size, D = inputs per example, L = samples of z per example, Z = latent size,
// P = parameters.
import VAECluster
import VAEModel

/// The buffers of the distributed step, allocated once per run.
final class DataParallelStep {
    private let cluster: Cluster
    private let model: VAE
    private let inputSize: Int
    private var eps: UnsafeMutablePointer<Float>       // (L, B, Z) the whole batch's draws
    private var sliceEps: UnsafeMutablePointer<Float>  // (L, slice, Z)
    private var capacity: Int
    private let reduction: GradientReduction
    private let scratch: UnsafeMutablePointer<Float>   // (N, longest range) the ranks' copies of this rank's range

    init(cluster: Cluster, model: VAE, inputSize: Int, batchSize: Int) {
        self.cluster = cluster
        self.model = model
        self.inputSize = inputSize
        capacity = batchSize
        let n = model.mcSamples * batchSize * model.config.latentSize
        eps = .allocate(capacity: n)
        sliceEps = .allocate(capacity: n)
        reduction = GradientReduction(count: model.layout.count, ranges: cluster.size)
        scratch = .allocate(capacity: Cluster.gradientScratchCount(reduction))
    }

    deinit {
        eps.deallocate()
        sliceEps.deallocate()
        scratch.deallocate()
    }

    /// One step on the batch `x` (count, D), held whole by every rank.
    /// - Returns: the per-example loss of the whole batch before the update.
    func step(batch x: UnsafeMutablePointer<Float>, count: Int, beta: Float, binarize: Bool,
              rng: inout SeededRandom) throws -> LossParts {
        let l = model.mcSamples, z = model.config.latentSize
        if count > capacity {
            eps.deallocate(); sliceEps.deallocate()
            capacity = count
            eps = .allocate(capacity: l * count * z)
            sliceEps = .allocate(capacity: l * count * z)
        }
        // 1. Every draw of the step, in a single process's order.
        if binarize { VAE.binarize(x, into: x, count: count * inputSize, rng: &rng) }
        rng.fillNormals(eps, count: l * count * z)
        // 2. This rank's slice of the examples and of eps (sample-major: eps[(s·B + b)·Z + j]).
        let slice = BatchSlices(count: count, parts: cluster.size).range(cluster.rank)
        for s in 0 ..< l {
            (sliceEps + s * slice.count * z).update(from: eps + (s * count + slice.lowerBound) * z, count: slice.count * z)
        }
        let parts = model.computeGradients(batch: x + slice.lowerBound * inputSize, count: slice.count, beta: beta,
                                           samples: l, eps: sliceEps)
        // 3. The sums over the ranks, in rank order.
        let n = Double(slice.count)
        let sums = try cluster.sumInRankOrder([parts.total * n, parts.reconstruction * n, parts.kl * n])
        try cluster.sumGradients(model.gradients.baseAddress!, reduction: reduction, scratch: scratch)
        // 4. The same update on every rank.
        model.optimizer.update(parameters: model.parameters.baseAddress!, gradients: model.gradients.baseAddress!,
                               m: model.adamM.baseAddress!, v: model.adamV.baseAddress!, count: model.layout.count)
        let b = Double(count)
        return LossParts(total: sums[0] / b, reconstruction: sums[1] / b, kl: sums[2] / b)
    }
}

extension Cluster {
    /// Sums the ranks' gradients `g` (P = reduction.count floats) in rank order, in place on every
    /// rank: rank k sums parameter range k of `reduction` (its ranges are the ranks).
    /// - Parameter scratch: `Cluster.gradientScratchCount(reduction)` floats.
    func sumGradients(_ g: UnsafeMutablePointer<Float>, reduction: GradientReduction, scratch: UnsafeMutablePointer<Float>) throws {
        try sumInRankOrder(g, ranges: (0 ..< size).map { reduction.range($0) }, scratch: scratch) { first, rest, length in
            GradientReduction.accumulate(into: first, rest, range: 0 ..< length)
        }
    }

    /// The scratch floats `sumGradients` needs: one copy of the longest range per rank.
    static func gradientScratchCount(_ reduction: GradientReduction) -> Int {
        reduction.ranges * ((0 ..< reduction.ranges).map { reduction.range($0).count }.max() ?? 0)
    }
}
