// vae-bench: the floor of a training epoch on this machine, for `make bench-*`: the sgemm rate of
// the OpenBLAS the project links and the matrix-product operations of one epoch of a trained
// model, printed as `name value` lines for pipelines/bench.sh.
import ArgumentParser
import CommandSupport
import Foundation
import VAEBench
import VAECluster
import VAEModel
import VAETrain

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae-bench",
        abstract: "Print the sgemm rate of this machine and the floor of a training epoch (for make bench-*).",
        discussion: """
            Prints sgemm_gflops (an N x N x N cblas_sgemm on the given threads, median of the repeats), \
            and with --checkpoint also epoch_gflop (the matrix products of one epoch of --examples examples \
            of that model, forward and backward) and floor_seconds = epoch_gflop / sgemm_gflops.
            """)

    @Option(help: "A checkpoint whose model the epoch floor is for.")
    var checkpoint: String?

    @Option(help: "Training examples in one epoch.")
    var examples = 60000

    @Option(help: "Samples of z per example (the model's --mc-samples).")
    var samples = 1

    @Option(help: "Threads: of the sgemm, and of the timed steps (--steps).")
    var threads = 2

    @Option(help: "The side N of the timed sgemm.")
    var size = 2048

    @Option(help: "Timed products; the median rate is printed.")
    var repeats = 5

    @Option(help: "Under mpirun: time instead the sum over the ranks of this many floats, as vae-train sums its gradients, and print allreduce_seconds (median of --repeats, after one untimed sum) from rank 0; then agreement_seconds, the same for one of the step's agreement points.")
    var allreduce: Int?

    @Option(help: "With --checkpoint: also time this many training steps of its model (batch 128, random data, after one untimed step) and print step_seconds, then the same number of steps of its matrix products alone, each thread its slice's products on one-thread OpenBLAS, and print product_seconds.")
    var steps = 0

    @Option(help: "With --steps: how the steps use the threads (batch: each thread a slice of the batch; products: each matrix product split over OpenBLAS's threads).")
    var split = GemmFloor.ThreadSplit.batch

    func validate() throws {
        guard threads >= 1, size >= 1, repeats >= 1, examples >= 1, samples >= 1, steps >= 0 else {
            throw ValidationError("--threads, --size, --repeats, --examples and --samples must be at least 1")
        }
    }

    func run() throws {
        try reportingErrors("vae-bench") { cluster in
            if let allreduce {
                let seconds = try ClusterBenchmark.sumSeconds(floats: allreduce, repeats: repeats, cluster: cluster)
                let agreement = try ClusterBenchmark.agreementSeconds(repeats: repeats, cluster: cluster)
                if cluster.isRoot {
                    printOut("allreduce_seconds \(String(format: "%.6f", seconds))")
                    printOut("agreement_seconds \(String(format: "%.6f", agreement))")
                }
                return
            }
            let config = try checkpoint.map { try Checkpoint.read(from: $0).config }
            let flops = config.map { ParameterLayout(config: $0).trainingFlopsPerExample(samples: samples) * Double(examples) }
            if let config, steps > 0 {
                let seconds = try GemmFloor.stepSeconds(config: config, steps: steps, samples: samples, threads: threads, split: split)
                printOut("step_seconds \(String(format: "%.4f", seconds))")
                let products = GemmFloor.productSeconds(config: config, steps: steps, samples: samples, threads: threads)
                printOut("product_seconds \(String(format: "%.4f", products))")
            }
            let rate = GemmFloor.sgemmRate(size: size, threads: threads, repeats: repeats)
            printOut("sgemm_gflops \(String(format: "%.1f", rate))")
            if let flops {
                printOut("epoch_gflop \(String(format: "%.1f", flops * 1e-9))")
                printOut("floor_seconds \(String(format: "%.3f", flops * 1e-9 / rate))")
            }
        }
    }
}

extension GemmFloor.ThreadSplit: ExpressibleByArgument {}
