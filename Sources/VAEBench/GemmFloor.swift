// The floor a training epoch is measured against: the matrix products of a training step, counted
// in floating-point operations, at the rate this machine's OpenBLAS multiplies large matrices. A
// hand-written VAE cannot run faster than its sgemm calls at that rate; the ratio of an epoch's
// time to this floor says how much is lost to everything else (small products, the fused passes,
// im2col and col2im, Adam, data).
//
// B = batch, L = samples per example, T = threads; the products of a step are VAEModel's
// `ParameterLayout.trainingProducts` (TrainingProducts.swift).
import COpenBLAS
import Dispatch
import VAEModel

public enum GemmFloor {
    /// The rate of an n × n × n `cblas_sgemm` on `threads` OpenBLAS threads, in GFLOP/s (2n³
    /// operations per product): the median of `repeats` timed products after one untimed one.
    public static func sgemmRate(size n: Int = 2048, threads: Int, repeats: Int = 5) -> Double {
        openblas_set_num_threads(Int32(max(1, threads)))
        defer { openblas_set_num_threads(1) }  // what the model expects (VAE.init)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: 3 * n * n)
        defer { a.deallocate() }
        for i in 0 ..< 3 * n * n { a[i] = Float(i % 17) * 0.01 - 0.08 }
        let b = a + n * n, c = a + 2 * n * n
        func product() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                        1, a, Int32(n), b, Int32(n), 0, c, Int32(n))
        }
        product()
        var rates: [Double] = []
        for _ in 0 ..< max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            product()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            rates.append(2 * Double(n) * Double(n) * Double(n) / seconds * 1e-9)
        }
        return rates.sorted()[rates.count / 2]
    }

    /// How a step uses its threads, for comparing the two designs.
    public enum ThreadSplit: String, CaseIterable, Sendable {
        /// Data parallelism: each thread a slice of the batch, one-thread products (`VAE.useThreads`).
        case batch
        /// One pass over the whole batch, each matrix product split over OpenBLAS's threads.
        case products
    }

    /// The mean wall time of the matrix products alone of one data-parallel training step of a
    /// model of `config`: each of `threads` threads runs, on one-thread OpenBLAS, the products of
    /// its slice of a `batch`-example batch (`ParameterLayout.trainingProducts`) on buffers of
    /// its own, over `steps` steps after one untimed step. What a step costs with nothing else in
    /// it: the floor of this design at these sizes, to set beside the large-product floor.
    public static func productSeconds(config: ModelConfig, steps: Int, batch: Int = 128, samples: Int = 1,
                                      threads: Int) -> Double {
        let pool = WorkerPool(threads: threads)
        let slice = (batch + pool.threads - 1) / pool.threads
        let products = ParameterLayout(config: config).trainingProducts(examples: slice, samples: samples)
        let size = products.map { max($0.rows * max($0.inputs, $0.outputs), $0.inputs * $0.outputs) }.max() ?? 1
        let buffers = (0 ..< pool.threads).map { _ in
            let b = UnsafeMutablePointer<Float>.allocate(capacity: 4 * size)
            for i in 0 ..< 4 * size { b[i] = Float(i % 13) * 0.01 - 0.06 }
            return b
        }
        defer { for b in buffers { b.deallocate() } }
        openblas_set_num_threads(1)
        func step() {
            pool.run { t in
                let x = buffers[t], w = x + size, y = x + 2 * size, dw = x + 3 * size
                for p in products { p.run(y: y, dw: dw, x: x, w: w) }
            }
        }
        step()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0 ..< steps { step() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(max(steps, 1))
    }

    /// The mean wall time of one training step of a model of `config` (seed 1) on uniform random
    /// inputs, batch `batch`, `samples` samples per example, on `threads` threads used as `split`
    /// says, over `steps` steps after one untimed step.
    public static func stepSeconds(config: ModelConfig, steps: Int, batch: Int = 128, samples: Int = 1,
                                   threads: Int, split: ThreadSplit = .batch) throws(ModelError) -> Double {
        let model = try VAE(config: config, seed: 1, batchCapacity: batch, mcSamples: samples)
        switch split {
        case .batch: model.useThreads(threads)
        case .products:
            model.useThreads(1)
            openblas_set_num_threads(Int32(max(1, threads)))
        }
        defer { openblas_set_num_threads(1) }
        var rng = SeededRandom(seed: 2)
        var x = [Float](repeating: 0, count: batch * config.inputSize)
        x.withUnsafeMutableBufferPointer { rng.fillUniform($0.baseAddress!, count: $0.count) }
        return x.withUnsafeBufferPointer { xp -> Double in
            model.trainStep(batch: xp.baseAddress!, count: batch, beta: 1, rng: &rng)
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0 ..< steps { model.trainStep(batch: xp.baseAddress!, count: batch, beta: 1, rng: &rng) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(max(steps, 1))
        }
    }
}
