// One training step shared by the N ranks of an mpirun job (synchronous data parallelism), with
// the same batch, the same random draws and the same Adam update on every rank as a single
// process makes, and gradients summed in a fixed order:
//
//   1. every rank holds the whole batch (B, D) and makes every draw of the step from the same
//      generator state: the binarization of the whole batch, then all L·B·Z normals of eps;
//   2. rank r takes the fixed slice `BatchSlices(count: B, parts: N).range(r)` of the examples
//      and of eps, and computes the gradient of its slice's summed loss;
//   3. the N gradients are summed in rank order (`Cluster.sumInRankOrder`), as are the slices'
//      loss sums; every rank then has the gradient of the whole batch's summed loss;
//   4. every rank applies the same Adam update to the same parameters.
//
// So the bytes of the parameters depend on N (the order of the sum and the slices' products)
// and the thread count per rank, and on nothing else.
//
// B = batch size, D = inputs per example, L = samples of z per example, Z = latent size,
// P = parameters.
import VAECluster
import VAEModel

/// How a batch is cut into `parts` contiguous slices: the first `count % parts` slices hold one
/// example more than the others. Every slice may be empty when count < parts.
public struct BatchSlices: Sendable {
    public let count: Int
    public let parts: Int

    public init(count: Int, parts: Int) {
        self.count = count
        self.parts = parts
    }

    /// The examples of slice `i`.
    public func range(_ i: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let start = i * base + min(i, extra)
        return start ..< start + base + (i < extra ? 1 : 0)
    }
}

/// The buffers of the distributed step, allocated once per run.
final class DataParallelStep {
    private let cluster: Cluster
    private let model: VAE
    private let inputSize: Int
    private var eps: UnsafeMutablePointer<Float>       // (L, B, Z) the whole batch's draws
    private var sliceEps: UnsafeMutablePointer<Float>  // (L, slice, Z)
    private var capacity: Int
    private let scratch: UnsafeMutablePointer<Float>   // the all-reduce's blocks

    init(cluster: Cluster, model: VAE, inputSize: Int, batchSize: Int) {
        self.cluster = cluster
        self.model = model
        self.inputSize = inputSize
        capacity = batchSize
        let n = model.mcSamples * batchSize * model.config.latentSize
        eps = .allocate(capacity: n)
        sliceEps = .allocate(capacity: n)
        scratch = .allocate(capacity: cluster.sumScratchCount(model.layout.count))
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
        try cluster.sumInRankOrder(model.gradients.baseAddress!, count: model.layout.count, scratch: scratch)
        // 4. The same update on every rank.
        model.optimizer.update(parameters: model.parameters.baseAddress!, gradients: model.gradients.baseAddress!,
                               m: model.adamM.baseAddress!, v: model.adamV.baseAddress!, count: model.layout.count)
        let b = Double(count)
        return LossParts(total: sums[0] / b, reconstruction: sums[1] / b, kl: sums[2] / b)
    }
}
