// What a tool's libraries need of the processes that share its work: who this one is (rank, size)
// and the few collective operations that ingest, training and embedding make. Every rank calls
// the same collective operations in the same order; each is an identity or a no-op on one rank.
// `Cluster` is the ranks of an mpirun job (one rank without mpirun); the tests play N ranks with N
// threads of one process (TestSupport's `ThreadRanks`), with the same results to the bit.
//
// N = size.

/// The ranks of a job and their collective operations.
///
/// Sums are in rank order: element i of a sum over N ranks is always
///
/// ```
/// ((x_0 + x_1) + x_2) + ... + x_{N-1}
/// ```
///
/// so the bytes of a result depend on N alone, never on the implementation or the transport.
public protocol Ranks: Sendable {
    /// This rank, 0 ..< size.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }

    /// Waits until every rank has arrived.
    func barrier() throws
    /// Rank 0's bytes on every rank (`bytes` is ignored on the others).
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
    /// Every rank's bytes, in rank order, on rank 0; nil on the other ranks.
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]?
    /// Every rank's `values` (the same count on every rank), in rank order, on every rank.
    func allgather(_ values: [Int64]) throws -> [Int64]
    /// Sends `parts[d]` to rank d, one part per rank; returns the part each rank sent to this
    /// one, in rank order.
    func exchange(_ parts: [[UInt8]]) throws -> [[UInt8]]
    /// Sums `values` over the ranks, in rank order, leaving the sum on every rank.
    func sumInRankOrder(_ values: [Double]) throws -> [Double]
    /// Sums `x` (count floats on every rank) over the ranks, in place on every rank, range by
    /// range: rank k copies range k of every rank's `x` into `scratch` (rank r's copy at
    /// r · ranges[k].count), `sum` adds them there (rank 0's copy first, then the others in rank
    /// order), and every rank receives every summed range. The order of the additions is `sum`'s.
    /// - Parameters:
    ///   - ranges: N disjoint ranges covering 0 ..< count, range k summed by rank k.
    ///   - scratch: at least N · (the longest range) floats.
    ///   - sum: adds the other ranks' copies (rank order) into rank 0's over 0 ..< length.
    func sumInRankOrder(_ x: UnsafeMutablePointer<Float>, ranges: [Range<Int>], scratch: UnsafeMutablePointer<Float>,
                        sum: (_ first: UnsafeMutablePointer<Float>, _ rest: [UnsafeMutablePointer<Float>], _ length: Int) -> Void) throws

    /// An agreement point: waits for every rank, sharing a stop request. A rank that failed
    /// meets it with `reportFailure` instead of arriving.
    /// - Returns: whether any rank asked to stop.
    /// - Throws: `PeerFailure` when a rank reported a failure instead of arriving.
    func agree(stop: Bool) throws -> Bool
    /// Reports this rank's failure (exit `status`) at the other ranks' next agreement point.
    /// - Returns: the lowest rank that failed there (this one, or another that failed too) and
    ///   its status; nil when the others did not arrive within `timeout` seconds (they are
    ///   blocked elsewhere: the job must then be ended another way).
    func reportFailure(status: Int32, timeout: Double) -> PeerFailure?
}

extension Ranks {
    /// Rank 0: the one that writes outputs and prints progress.
    public var isRoot: Bool { rank == 0 }
    /// More than one rank.
    public var isDistributed: Bool { size > 1 }

    /// An agreement point without a stop request (see `agree(stop:)`).
    public func agree() throws -> Bool { try agree(stop: false) }
}

/// Another rank failed and reported it (`Ranks.reportFailure`): thrown by `Ranks.agree` on the
/// ranks that did not fail, which end quietly with the failing rank's exit status.
public struct PeerFailure: Error, CustomStringConvertible, Sendable {
    /// The lowest rank that failed (the one that reports the error).
    public let rank: Int
    /// Its exit status: 1, or 128 + a signal.
    public let status: Int32
    public var description: String { "rank \(rank) failed (exit status \(status))" }
}

/// The word every rank contributes to an agreement point, whose maximum over the ranks is the
/// outcome: the stop flag in bit 0, and a failure as (N - rank) << 9 | status << 1, so that the
/// maximum names the lowest failing rank and its status.
public enum Agreement {
    /// A rank's word when it arrives, asking to stop or not.
    public static func arriving(stop: Bool) -> Int64 { stop ? 1 : 0 }

    /// The word of rank `rank` of `size` that failed with exit `status`.
    public static func failing(rank: Int, size: Int, status: Int32) -> Int64 {
        Int64(size - rank) << 9 | Int64(status & 0xFF) << 1
    }

    /// The lowest failing rank and its status in the ranks' maximum `value`, if any failed.
    public static func failure(in value: Int64, size: Int) -> PeerFailure? {
        let code = Int(value >> 9)
        return code == 0 ? nil : PeerFailure(rank: size - code, status: Int32((value >> 1) & 0xFF))
    }

    /// Whether a rank asked to stop, in the ranks' maximum `value`.
    public static func stops(_ value: Int64) -> Bool { value & 1 != 0 }
}
