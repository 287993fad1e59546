// vae-ingest across the ranks of an mpirun job: the shard jobs of the artifact (train shards,
// then test shards) are dealt round-robin, job k to rank k mod N; each rank compresses its jobs
// on all its cores, and round j sends the files of jobs jN ..< (j+1)N to rank 0 in rank order,
// which writes them and, at the end, the manifest. A shard's bytes depend only on its records and
// the parameters, so the artifact is byte-identical to a single process's. Only rank 0 touches
// the output directory (the others need no shared filesystem for it). Every rank reads and
// decodes the whole input.
import Dispatch
import Foundation
import VAECluster

extension ArtifactWriter {
    /// `write` shared by the ranks of `cluster`: every rank calls it with the same input and
    /// parameters; rank 0 writes the artifact at `out` and returns its manifest, the other ranks
    /// return nil.
    public static func write(
        _ input: IngestInput, parameters: IngestParameters, to out: String, force: Bool, cluster: Cluster
    ) throws -> Manifest? {
        guard cluster.isDistributed else { return try write(input, parameters: parameters, to: out, force: force) }
        let shape = try check(input, parameters: parameters, out: out)
        let jobs = plan(input, shardSize: parameters.shardSize)
        let mine = Array(stride(from: cluster.rank, to: jobs.count, by: cluster.size))
        let results = ShardResults<[UInt8]>(count: mine.count)
        DispatchQueue.concurrentPerform(iterations: mine.count) { i in
            results.set(i, Result { try encodeShard(jobs[mine[i]], input: input, shape: shape, parameters: parameters) })
        }
        var files = try results.values()

        let destination = cluster.isRoot ? try AtomicDirectory(final: out, force: force) : nil
        do {
            var infos: [ShardInfo] = []
            for (round, roundStart) in stride(from: 0, to: jobs.count, by: cluster.size).enumerated() {
                let part = round < files.count ? files[round] : []
                if round < files.count { files[round] = [] }  // sent: freed
                guard let parts = try cluster.gather(part), let destination else { continue }
                for (r, bytes) in parts.enumerated() where roundStart + r < jobs.count {
                    let job = jobs[roundStart + r]
                    try AtomicFile.write(bytes, to: FileIO.join(destination.temporary, shardName(job)))
                    infos.append(shardInfo(job, bytes: bytes, shape: shape))
                }
            }
            guard let destination else { return nil }
            return try finish(input, parameters: parameters, shape: shape, jobs: jobs, infos: infos, destination: destination)
        } catch {
            destination?.abandon()
            throw error
        }
    }
}
