// The processes one ingest is shared among (`Ranks`: under mpirun, the ranks of the job;
// otherwise one). The shards of each split are dealt round-robin, shard i to rank i mod N: a rank
// compresses only the shards it owns, and at the end hands their files to rank 0, which writes the
// manifest and renames the artifact into place. docs/DISTRIBUTED.md describes the design.
//
// N = ranks.
import VAECluster

extension Ranks {
    /// The rank that compresses shard `index` of a split.
    package func owner(ofShard index: Int) -> Int { index % size }

    /// `range` cut into N contiguous slices, rank r's at index r: the first count mod N ranks take
    /// one more.
    package func slices(_ range: Range<Int>) -> [Range<Int>] {
        let base = range.count / size, extra = range.count % size
        return (0..<size).map { r in
            let start = range.lowerBound + r * base + min(r, extra)
            return start..<start + base + (r < extra ? 1 : 0)
        }
    }

    /// Ends the ingest on every rank after `failing` found `error`: every rank has already
    /// abandoned its output; the failing rank throws `error` (its tool reports it to the other
    /// ranks, `reportFailure`, and prints one message naming the rank), the others meet that
    /// report at an agreement point and end with it (`agree` throws `PeerFailure`).
    package func stop(_ error: Error, failing: Int) throws -> Never {
        if rank != failing { _ = try agree() }
        throw error
    }
}
