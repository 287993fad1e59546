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
        VAE.setThreads(threads)
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
            VAE.setThreads(threads)
        }
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

extension ParameterLayout {
    /// The floating-point operations of the matrix products of one training step, per example,
    /// with `samples` decoder rows per example: every layer's forward product, its weight
    /// gradient and its input gradient (none for the first encoder layer), 2 per multiply-add.
    ///
    /// ```
    /// linear:                   3 · 2·I·O              (2·I·O for the first encoder layer)
    /// convolution:              3 · 2·Ho·Wo·k·k·Ci·Co  (2 products for the first)
    /// transposed convolution:   3 · 2·Hi·Wi·k·k·Co·Ci
    /// ```
    /// Decoder layers count `samples` times. Reference (1 × 28 × 28, channels 32, 64, Z = 20):
    /// 21.4 million; MLP 784-400-20: 3.3 million.
    public func trainingFlopsPerExample(samples: Int = 1) -> Double {
        var flops = 0.0
        let encoderLinears = encoder + [head]
        for (i, v) in encoderLinears.enumerated() {
            let products = i == 0 && convEncoder.isEmpty ? 2.0 : 3.0
            flops += products * 2 * Double(v.inputs * v.outputs)
        }
        for (i, v) in convEncoder.enumerated() {
            flops += (i == 0 ? 2.0 : 3.0) * 2 * Double(v.outHeight * v.outWidth * v.patchSize * v.outChannels)
        }
        var decoderFlops = 0.0
        for v in decoder + (output.map { [$0] } ?? []) { decoderFlops += 3 * 2 * Double(v.inputs * v.outputs) }
        for v in convDecoder { decoderFlops += 3 * 2 * Double(v.inHeight * v.inWidth * v.patchSize * v.inChannels) }
        return flops + Double(samples) * decoderFlops
    }
}
