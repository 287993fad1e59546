// Data-parallel training inside one process: each of T threads takes a fixed slice of the batch
// and runs forward and backward on it with single-threaded matrix products, its own workspace and
// its own gradient buffer; the slices' gradients are summed in slice order (`GradientReduction`)
// and Adam runs on each thread's parameter range. Every random draw is the single-thread one: eps
// is drawn for the whole batch, sample-major, and each slice copies its rows. See docs/METHOD.md,
// "Data parallelism".
//
// B = examples in the batch, T = threads = slices, L = samples per example, Z = latent size,
// D = input size, P = parameters; slice s holds examples [s·B/T, (s+1)·B/T), b_s of them.

/// The loss sums of one forward-backward pass (or slice), before they are divided by the examples:
/// what slices computed apart (threads, or processes) add up.
public struct PassSums: Sendable {
    /// -(1/L) Σ_rows log p(x | z).
    public var reconstruction = 0.0
    /// Σ_examples KL(q(z|x) || p(z)): in closed form, or the Monte Carlo estimate.
    public var kl = 0.0
    /// Σ_examples of the loss a Monte Carlo objective minimized (MonteCarloObjective.swift); nil
    /// when it is reconstruction + beta · kl.
    public var objective: Double?

    public init(reconstruction: Double = 0, kl: Double = 0, objective: Double? = nil) {
        self.reconstruction = reconstruction
        self.kl = kl
        self.objective = objective
    }

    /// The per-example means over `examples` examples.
    public func parts(examples b: Int, beta: Float) -> LossParts {
        let n = Double(b)
        let total = objective ?? (reconstruction + Double(beta) * kl)
        return LossParts(total: total / n, reconstruction: reconstruction / n, kl: kl / n)
    }

    /// Adds another pass's sums (the objective stays nil unless both have one).
    public mutating func add(_ other: PassSums) {
        reconstruction += other.reconstruction
        kl += other.kl
        objective = objective.flatMap { a in other.objective.map { a + $0 } }
    }
}

/// The threads of one process that share a batch, each its slice, with the slices' workspaces and
/// gradient buffers and the reduction of data-parallel training. Slice 0 uses the model's own
/// workspace and gradients; slices 1 ..< T have their own. (The processes of an mpirun job share
/// a batch through VAETrain's `DistributedStep`.)
final class SliceThreads {
    /// T: slices of every batch, threads, parameter ranges.
    var threads: Int { pool.threads }
    let pool: WorkerPool
    let reduction: GradientReduction
    /// Workspaces of slices 1 ..< T (index s - 1), sized for ceil(B/T) examples.
    private(set) var workspaces: [Workspace] = []
    /// Gradient buffers of slices 1 ..< T (index s - 1), P Floats each.
    let gradients: [UnsafeMutablePointer<Float>]
    /// (L·B, Z) the whole batch's eps, drawn at once, read by the slices.
    private(set) var eps: UnsafeMutablePointer<Float>
    private var epsCapacity = 0
    /// (T) each slice's loss sums.
    let sums: UnsafeMutablePointer<PassSums>
    /// Workspaces of threads 1 ..< T for inference's pieces (Inference.swift), made on first use.
    var inferenceWorkspaces: [Workspace] = []

    init(threads t: Int, layout: ParameterLayout) {
        pool = WorkerPool(threads: t)
        reduction = GradientReduction(count: layout.count, ranges: pool.threads)
        gradients = (1 ..< pool.threads).map { _ in
            let g = UnsafeMutablePointer<Float>.allocate(capacity: layout.count)
            g.initialize(repeating: 0, count: layout.count)
            return g
        }
        eps = .allocate(capacity: 0)
        sums = .allocate(capacity: pool.threads)
        sums.initialize(repeating: PassSums(), count: pool.threads)
    }

    deinit {
        for g in gradients { g.deallocate() }
        eps.deallocate()
        sums.deallocate()
    }

    /// Makes every slice workspace hold its slice of a `batch`-example batch with `samples`
    /// samples, and the eps buffer the whole batch.
    func reserve(batch: Int, samples: Int, layout: ParameterLayout, config: ModelConfig) {
        let slice = (batch + threads - 1) / threads
        for s in 1 ..< max(threads, 1) {
            if workspaces.count < s {
                workspaces.append(Workspace(layout: layout, config: config, batch: slice, samples: samples))
            } else if slice > workspaces[s - 1].batch || samples > workspaces[s - 1].samples {
                let old = workspaces[s - 1]
                workspaces[s - 1] = Workspace(layout: layout, config: config, batch: max(slice, old.batch),
                                              samples: max(samples, old.samples))
            }
        }
        let need = samples * batch * config.latentSize
        if need > epsCapacity {
            eps.deallocate()
            eps = .allocate(capacity: need)
            epsCapacity = need
        }
    }
}

extension VAE {
    /// Splits training and inference over `threads` threads of the model's own (T = 1: the
    /// calling thread only). The bits of a training step depend on T (for T = 1 they are those
    /// of a model that never called this); inference's do not (Inference.swift).
    public func useThreads(_ threads: Int) {
        let t = max(1, threads)
        if t != sliceThreads.threads { sliceThreads = SliceThreads(threads: t, layout: layout) }
    }

    /// The threads of `useThreads` (1 unless set).
    public var threads: Int { sliceThreads.threads }

    /// `trainStep` on T > 1 threads: eps for the whole batch, the slices' passes, then each
    /// thread runs Adam on its parameter range of the slices' gradients, summed in slice order in
    /// the same pass when there are two (the sum is not stored: `gradients` keeps slice 0's own;
    /// with more, the sum is made in `gradients` first, by `GradientReduction.accumulate`).
    func parallelTrainStep(batch x: UnsafePointer<Float>, count: Int, beta: Float,
                           rng: inout SeededRandom, labels: UnsafePointer<UInt16>?) -> LossParts {
        let dp = prepare(count: count, samples: mcSamples)
        rng.fillNormals(dp.eps, count: mcSamples * count * config.latentSize)
        let sums = slicePasses(x, labels: labels, count: count, beta: beta, samples: mcSamples)
        let k = optimizer.nextStep()
        let p = P, g = G, m = adamM.baseAddress!, v = adamV.baseAddress!
        dp.pool.run { t in
            Adam.update(range: dp.reduction.range(t), parameters: p, gradients: g, adding: dp.gradients, m: m, v: v, k)
        }
        return sums.parts(examples: count, beta: beta)
    }

    /// `computeGradients` on T > 1 threads: the slices' passes and the reduction, no update.
    func parallelGradients(batch x: UnsafePointer<Float>, count: Int, beta: Float, samples: Int,
                           eps: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?) -> PassSums {
        let dp = prepare(count: count, samples: samples)
        dp.eps.update(from: eps, count: samples * count * config.latentSize)
        let sums = slicePasses(x, labels: labels, count: count, beta: beta, samples: samples)
        let g = G
        dp.pool.run { t in GradientReduction.accumulate(into: g, dp.gradients, range: dp.reduction.range(t)) }
        return sums
    }

    /// Grows the workspaces for a batch of `count` examples.
    private func prepare(count: Int, samples: Int) -> SliceThreads {
        reserve(batch: count, samples: samples)
        sliceThreads.reserve(batch: count, samples: samples, layout: layout, config: config)
        return sliceThreads
    }

    /// Forward and backward of every slice on its thread, eps rows copied from the whole batch's;
    /// returns the loss sums added in slice order. Slice s's gradients end in its buffer.
    private func slicePasses(_ x: UnsafePointer<Float>, labels: UnsafePointer<UInt16>?, count: Int, beta: Float,
                             samples l: Int) -> PassSums {
        let dp = sliceThreads, t = dp.threads, zs = config.latentSize, d = config.inputSize
        let main = ws, g = G
        dp.pool.run { s in
            let slice = WorkerPool.slice(s, of: count, parts: t)
            let b = slice.count
            let sws = s == 0 ? main : dp.workspaces[s - 1]
            for k in 0 ..< l {
                (sws.eps + k * b * zs).update(from: dp.eps + (k * count + slice.lowerBound) * zs, count: b * zs)
            }
            dp.sums[s] = forwardBackward(x + slice.lowerBound * d, labels: labels.map { $0 + slice.lowerBound },
                                         count: b, beta: beta, samples: l,
                                         ws: sws, gradients: s == 0 ? g : dp.gradients[s - 1])
        }
        var total = dp.sums[0]
        for s in 1 ..< t { total.add(dp.sums[s]) }
        return total
    }
}
