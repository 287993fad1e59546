// A timing entry point for `make bench`: training steps of a model on random data, so the step
// time can be compared with the floor of its matrix products (reference/gemm_bound.py).
import Foundation

/// Times training steps of a model over random inputs.
public enum ModelBenchmark {
    /// The wall time of `steps` training steps (after `warmup` untimed ones) of a model of
    /// `config`, batch `batch`, `threads` OpenBLAS threads, on uniform random inputs in [0, 1).
    /// - Returns: seconds for the timed steps (divide by `steps` for seconds per step).
    public static func run(steps: Int = 469, warmup: Int = 20, config: ModelConfig = ModelConfig(),
                           batch: Int = 128, mcSamples: Int = 1, threads: Int = 2, seed: UInt64 = 1) throws -> Double {
        VAE.setThreads(threads)
        let model = try VAE(config: config, seed: seed, batchCapacity: batch, mcSamples: mcSamples)
        var rng = SeededRandom(seed: seed &+ 1)
        var x = [Float](repeating: 0, count: batch * config.inputSize)
        x.withUnsafeMutableBufferPointer { rng.fillUniform($0.baseAddress!, count: $0.count) }
        return x.withUnsafeBufferPointer { xp -> Double in
            for _ in 0 ..< warmup { model.trainStep(batch: xp.baseAddress!, count: batch, beta: 1, rng: &rng) }
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0 ..< steps { model.trainStep(batch: xp.baseAddress!, count: batch, beta: 1, rng: &rng) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
    }
}
