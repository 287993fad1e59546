// The processes one ingest is shared among (under mpirun: the ranks of the job; otherwise one).
// The shards of each split are dealt round-robin, shard i to rank i mod N: a rank compresses only
// the shards it owns, and at the end hands their files to rank 0, which writes the manifest and
// renames the artifact into place. docs/DISTRIBUTED.md describes the design.
//
// N = ranks.

/// What an ingest needs of the job's ranks: who it is, three collective operations that every
/// rank calls in the same order, and the meeting of a failure.
public protocol IngestRanks: Sendable {
    /// This process, 0 ..< size.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every rank's `values` (the same count on every rank), in rank order, on every rank.
    func allgather(_ values: [Int64]) throws -> [Int64]
    /// Sends `parts[d]` to rank d (N parts); returns the part each rank sent here, in rank order.
    func exchange(_ parts: [[UInt8]]) throws -> [[UInt8]]
    /// Every rank's bytes, in rank order, on rank 0; nil on the others.
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]?
    /// Meets a failing rank where it reports its failure (its tool's error report): throws the
    /// failure that rank reports, so that this rank ends with it, quietly.
    func meetFailure() throws
}

extension IngestRanks {
    public var isRoot: Bool { rank == 0 }

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
    /// ranks and prints one message naming the rank), the others meet that report and end with
    /// it (`meetFailure` throws).
    package func stop(_ error: Error, failing: Int) throws -> Never {
        if rank != failing { try meetFailure() }
        throw error
    }
}

/// A plain run: one process, every collective an identity.
public struct OneRank: IngestRanks {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allgather(_ values: [Int64]) throws -> [Int64] { values }
    public func exchange(_ parts: [[UInt8]]) throws -> [[UInt8]] { parts }
    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]]? { [bytes] }
    public func meetFailure() throws {}
}
