// The time of the gradient sum of a distributed step, alone, and of one of its agreement points:
// for vae-bench's --allreduce, the all-reduce figures of docs/DISTRIBUTED.md's cost model.
import Foundation
import VAECluster
import VAEModel
import VAETrain

public enum ClusterBenchmark {
    /// The median seconds of `repeats` sums of `floats` floats over the ranks of `cluster`, as
    /// `DistributedStep` sums the gradients (after one untimed sum); every rank calls it.
    public static func sumSeconds(floats: Int, repeats: Int, cluster: any Ranks) throws -> Double {
        let reduction = GradientReduction(count: floats, ranges: cluster.size)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: floats)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: reduction.rankScratchCount)
        defer { x.deallocate(); scratch.deallocate() }
        var times: [Double] = []
        for r in 0 ... repeats {
            for i in 0 ..< floats { x[i] = Float(i % 1000) * 1e-3 }
            try cluster.barrier()
            let start = Date()
            try cluster.sumGradients(x, reduction: reduction, scratch: scratch)
            if r > 0 { times.append(Date().timeIntervalSince(start)) }
        }
        return times.sorted()[times.count / 2]
    }

    /// The median seconds of `repeats` agreement points (`Ranks.agree`, two of which every
    /// distributed training step makes), after one untimed; every rank calls it.
    public static func agreementSeconds(repeats: Int, cluster: any Ranks) throws -> Double {
        var times: [Double] = []
        for r in 0 ... repeats {
            try cluster.barrier()
            let start = Date()
            _ = try cluster.agree()
            if r > 0 { times.append(Date().timeIntervalSince(start)) }
        }
        return times.sorted()[times.count / 2]
    }
}
