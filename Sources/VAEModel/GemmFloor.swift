// The floor a training epoch is measured against: the matrix products of a training step, counted
// in floating-point operations, at the rate this machine's OpenBLAS multiplies large matrices. A
// hand-written VAE cannot run faster than its sgemm calls at that rate; the ratio of an epoch's
// time to this floor says how much is lost to everything else (small products, the fused passes,
// im2col and col2im, Adam, data).
//
// B = batch, L = samples per example; I, O = a linear layer's inputs and outputs; for a
// convolution Ho·Wo output pixels (Hi·Wi input pixels for a transposed one) and k·k·Ci (k·k·Co)
// patch length.
import COpenBLAS
import Dispatch

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
                for p in products {
                    linearForward(y, x, w, bias: nil, rows: p.rows, inputs: p.inputs, outputs: p.outputs)
                    linearBackward(p.inputGradient ? x : nil, dw, y, x, w, rows: p.rows, inputs: p.inputs, outputs: p.outputs)
                }
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

/// The three matrix products of one linear map in a training step, y (R, O) = x (R, I) · Wᵀ:
/// forward, the weight gradient dW = dyᵀ · x and, unless it is the first layer, the input gradient
/// dx = dy · W. A convolution is this map on its im2col rows (R = output pixels, I = k·k·Ci,
/// O = Co), a transposed convolution on its input pixels (R = input pixels, I = Ci, O = k·k·Co).
public struct LinearProducts: Equatable, Sendable {
    public let rows, inputs, outputs: Int
    public let inputGradient: Bool

    /// 2·R·I·O for each product.
    public var flops: Double { (inputGradient ? 3 : 2) * 2 * Double(rows) * Double(inputs) * Double(outputs) }
}

extension ParameterLayout {
    /// The matrix products of one training step on `examples` examples with `samples` decoder
    /// rows per example: every linear layer, convolution and transposed convolution, encoder first.
    public func trainingProducts(examples b: Int, samples: Int = 1) -> [LinearProducts] {
        var out: [LinearProducts] = []
        for (i, v) in convEncoder.enumerated() {
            out.append(LinearProducts(rows: b * v.outHeight * v.outWidth, inputs: v.patchSize, outputs: v.outChannels,
                                      inputGradient: i > 0))
        }
        for (i, v) in (encoder + [head]).enumerated() {
            out.append(LinearProducts(rows: b, inputs: v.inputs, outputs: v.outputs,
                                      inputGradient: i > 0 || !convEncoder.isEmpty))
        }
        let r = b * samples
        for v in decoder + (output.map { [$0] } ?? []) {
            out.append(LinearProducts(rows: r, inputs: v.inputs, outputs: v.outputs, inputGradient: true))
        }
        for v in convDecoder {
            out.append(LinearProducts(rows: r * v.inHeight * v.inWidth, inputs: v.inChannels, outputs: v.patchSize,
                                      inputGradient: true))
        }
        return out
    }

    /// The floating-point operations of the matrix products of one training step, per example,
    /// with `samples` decoder rows per example: the `trainingProducts` of one example, 2 per
    /// multiply-add.
    ///
    /// ```
    /// linear:                   3 · 2·I·O              (2·I·O for the first encoder layer)
    /// convolution:              3 · 2·Ho·Wo·k·k·Ci·Co  (2 products for the first)
    /// transposed convolution:   3 · 2·Hi·Wi·k·k·Co·Ci
    /// ```
    /// Decoder layers count `samples` times. Reference (1 × 28 × 28, channels 32, 64, Z = 20):
    /// 21.4 million; MLP 784-400-20: 3.3 million.
    public func trainingFlopsPerExample(samples: Int = 1) -> Double {
        trainingProducts(examples: 1, samples: samples).reduce(0) { $0 + $1.flops }
    }
}
