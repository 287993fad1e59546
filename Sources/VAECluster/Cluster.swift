// The processes of one job: under mpirun (or srun), the ranks of MPI_COMM_WORLD; started on its
// own, a single rank that needs no MPI runtime. The tools ask it who they are (rank, size) and use
// its few collective operations (`Ranks`): a barrier, a broadcast of bytes, a gather of bytes to
// rank 0, an allgather of integers, an exchange of bytes between every pair of ranks, sums in a
// fixed order, agreement points at which a rank's failure ends every rank with one message; and,
// beyond `Ranks`, an abort for the failures that cannot wait for one.
//
// Open MPI is loaded only when the environment says mpirun started the process (see CMPI's
// vae_mpi.h): a plain run never opens libmpi, so it starts and runs exactly as before.
//
// Sums are in rank order, never MPI_SUM's order (which Open MPI chooses by message size and
// process count): element i of a sum over N ranks is always ((x_0 + x_1) + x_2) + ... + x_{N-1},
// so the bytes of a distributed run depend only on N.
import CMPI
import Foundation

/// A collective operation failed: an MPI call, or loading MPI (`Cluster`); ranks that met in
/// different operations, or a job already ended (`ThreadRanks`).
public struct ClusterError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The ranks of this job. Single-rank (size 1, rank 0) unless launched by mpirun.
public final class Cluster: Ranks, @unchecked Sendable {
    /// This process's rank, 0 ..< size.
    public let rank: Int
    /// The number of processes of the job.
    public let size: Int
    /// Whether MPI was initialized (launched by mpirun); false for a plain run, even with size 1.
    public let usesMPI: Bool
    private var finished = false

    /// A plain single-process run: no MPI at all.
    public static let single = Cluster(rank: 0, size: 1, usesMPI: false)

    private init(rank: Int, size: Int, usesMPI: Bool) {
        self.rank = rank
        self.size = size
        self.usesMPI = usesMPI
    }

    /// This machine's cores divided among the ranks mpirun started on it
    /// (OMPI_COMM_WORLD_LOCAL_SIZE), at least 1: a default thread count that does not
    /// oversubscribe the machine.
    public var coresPerLocalRank: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
        return max(1, cores / max(1, usesMPI ? local : 1))
    }

    /// Whether the environment says mpirun (or srun) started this process.
    public static var launchedByMPI: Bool { vae_mpi_launched() != 0 }

    /// The job this process belongs to: loads and initializes MPI when launched by mpirun,
    /// otherwise `Cluster.single`. Call once per process, from the main thread.
    public static func join() throws -> Cluster {
        guard launchedByMPI else { return .single }
        var message = [CChar](repeating: 0, count: 512)
        if vae_mpi_load(&message, message.count) != VAE_MPI_OK {
            throw ClusterError(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        try check(vae_mpi_init(), "MPI_Init_thread")
        var rank: Int32 = 0, size: Int32 = 0
        try check(vae_mpi_comm_rank(vae_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(vae_mpi_comm_size(vae_mpi_comm_world(), &size), "MPI_Comm_size")
        return Cluster(rank: Int(rank), size: Int(size), usesMPI: true)
    }

    private static func check(_ code: Int32, _ call: String) throws {
        if code != 0 { throw ClusterError("\(call) failed with MPI error \(code)") }
    }

    private var world: UnsafeMutableRawPointer { vae_mpi_comm_world() }

    /// Ends MPI cleanly (MPI_Finalize) after a barrier; nothing for a plain run. Call once, at the end.
    public func finish() {
        guard usesMPI, !finished else { return }
        finished = true
        _ = vae_mpi_finalize()
    }

    /// Ends every rank of the job now, after writing `message` (one line; nil: none) to standard
    /// error: MPI_Abort with `code` under mpirun, exit(code) otherwise.
    public func abort(message: String?, code: Int32) -> Never {
        if let message { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        if usesMPI { _ = vae_mpi_abort(world, code) }
        exit(code)
    }

    // MARK: Collectives (`Ranks`; each a no-op or an identity on a single rank)

    /// Waits until every rank has arrived.
    public func barrier() throws {
        guard isDistributed else { return }
        try Cluster.check(vae_mpi_barrier(world), "MPI_Barrier")
    }

    /// Rank 0's bytes on every rank (`bytes` is ignored on the others).
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        guard isDistributed else { return bytes }
        var count = Int64(bytes.count)
        try Cluster.check(vae_mpi_bcast(&count, 1, vae_mpi_int64(), 0, world), "MPI_Bcast")
        var out = isRoot ? bytes : [UInt8](repeating: 0, count: Int(count))
        try forEachPiece(of: Int(count)) { start, n in
            try out.withUnsafeMutableBytes { b in
                try Cluster.check(vae_mpi_bcast(b.baseAddress! + start, n, vae_mpi_byte(), 0, world), "MPI_Bcast")
            }
        }
        return out
    }

    /// Every rank's bytes, in rank order, on rank 0; nil on the other ranks.
    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]]? {
        guard isDistributed else { return [bytes] }
        var count = Int64(bytes.count)
        var counts = [Int64](repeating: 0, count: size)
        try Cluster.check(vae_mpi_gather(&count, 1, vae_mpi_int64(), &counts, 0, world), "MPI_Gather")
        counts = try broadcastValues(counts)
        // One rank at a time, in pieces under MPI's Int32 count: rank r's bytes to rank 0.
        var parts = [[UInt8]]()
        for r in 0 ..< size {
            var part = r == rank ? bytes : [UInt8](repeating: 0, count: Int(counts[r]))
            if r != 0 {
                try forEachPiece(of: Int(counts[r])) { start, n in
                    var sizes = [Int32](repeating: 0, count: size), offsets = [Int32](repeating: 0, count: size)
                    sizes[r] = Int32(n)
                    let mine: Int32 = rank == r ? Int32(n) : 0
                    try part.withUnsafeMutableBytes { b in
                        // Rank 0 sends nothing of its own here: MPI_IN_PLACE, ((void *) 1).
                        let send = isRoot ? UnsafeRawPointer(bitPattern: 1)! : UnsafeRawPointer(b.baseAddress! + start)
                        try Cluster.check(vae_mpi_gatherv(send, mine, vae_mpi_byte(), b.baseAddress! + start,
                                                          &sizes, &offsets, 0, world), "MPI_Gatherv")
                    }
                }
            }
            if isRoot { parts.append(part) }
        }
        return isRoot ? parts : nil
    }

    /// Every rank's `values` (the same count on every rank), in rank order, on every rank.
    public func allgather(_ values: [Int64]) throws -> [Int64] {
        guard isDistributed else { return values }
        var all = [Int64](repeating: 0, count: values.count * size)
        try values.withUnsafeBytes { v in
            try Cluster.check(vae_mpi_allgather(v.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, Int32(values.count), vae_mpi_int64(), &all, world),
                              "MPI_Allgather")
        }
        return all
    }

    /// Sends `parts[d]` to rank d, one part per rank (each under 2 GiB); returns the part each
    /// rank sent to this one, in rank order (MPI_Alltoall of the sizes, then MPI_Alltoallv).
    public func exchange(_ parts: [[UInt8]]) throws -> [[UInt8]] {
        guard isDistributed else { return parts }
        precondition(parts.count == size, "one part per rank")
        guard parts.allSatisfy({ $0.count < Int(Int32.max) }) else { throw ClusterError("a part of an exchange is 2 GiB or more") }
        var sizes = parts.map { Int64($0.count) }, received = [Int64](repeating: 0, count: size)
        let ones = [Int32](repeating: 1, count: size), places = (0 ..< size).map { Int32($0) }
        try Cluster.check(vae_mpi_alltoallv(&sizes, ones, places, &received, ones, places, vae_mpi_int64(), world), "MPI_Alltoallv")
        guard received.reduce(0, +) < Int64(Int32.max) else { throw ClusterError("an exchange receives 2 GiB or more") }
        let send = parts.flatMap { $0 }
        let sendCounts = parts.map { Int32($0.count) }, receiveCounts = received.map { Int32($0) }
        let sendStarts = offsets(sendCounts), receiveStarts = offsets(receiveCounts)
        var all = [UInt8](repeating: 0, count: Int(received.reduce(0, +)) + 1)
        try send.withUnsafeBytes { s in
            try Cluster.check(vae_mpi_alltoallv(s.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, sendCounts, sendStarts, &all,
                                                receiveCounts, receiveStarts, vae_mpi_byte(), world), "MPI_Alltoallv")
        }
        return (0 ..< size).map { Array(all[Int(receiveStarts[$0]) ..< Int(receiveStarts[$0]) + Int(receiveCounts[$0])]) }
    }

    /// Where each of `counts` starts when they are laid end to end.
    private func offsets(_ counts: [Int32]) -> [Int32] {
        var start: Int32 = 0
        return counts.map { count in
            defer { start += count }
            return start
        }
    }

    /// Sums `values` over the ranks, in rank order, leaving the sum on every rank.
    public func sumInRankOrder(_ values: [Double]) throws -> [Double] {
        guard isDistributed else { return values }
        var all = [Double](repeating: 0, count: values.count * size)
        try values.withUnsafeBytes { v in
            try Cluster.check(vae_mpi_allgather(v.baseAddress!, Int32(values.count), vae_mpi_double(), &all, world),
                              "MPI_Allgather")
        }
        var sum = Array(all[0 ..< values.count])
        for r in 1 ..< size {
            for i in sum.indices { sum[i] += all[r * values.count + i] }
        }
        return sum
    }

    /// Whether `flag` is true on any rank (on every rank).
    public func any(_ flag: Bool) throws -> Bool {
        guard isDistributed else { return flag }
        var mine: Int64 = flag ? 1 : 0, result: Int64 = 0
        try Cluster.check(vae_mpi_allreduce(&mine, &result, 1, vae_mpi_int64(), vae_mpi_op_max(), world), "MPI_Allreduce")
        return result != 0
    }

    /// Sums `x` (count floats on every rank) over the ranks, in place on every rank, range by
    /// range: rank k receives range k of every rank's `x` (a reduce-scatter by MPI_Alltoallv),
    /// `sum` adds them (rank 0's copy first, then the others in rank order), and every rank
    /// receives every summed range (MPI_Allgatherv). Each rank sends and receives about
    /// 2·(N-1)/N·count floats, as in a ring all-reduce; the order of the additions is `sum`'s.
    /// - Parameters:
    ///   - ranges: N disjoint ranges covering 0 ..< count, range k summed by rank k.
    ///   - scratch: at least N · (the longest range) floats.
    ///   - sum: adds the other ranks' copies (rank order) into rank 0's over 0 ..< length.
    public func sumInRankOrder(_ x: UnsafeMutablePointer<Float>, ranges: [Range<Int>], scratch: UnsafeMutablePointer<Float>,
                               sum: (_ first: UnsafeMutablePointer<Float>, _ rest: [UnsafeMutablePointer<Float>], _ length: Int) -> Void) throws {
        guard isDistributed else { return }
        precondition(ranges.count == size, "one range per rank")
        let mine = ranges[rank].count
        let counts = ranges.map { Int32($0.count) }, starts = ranges.map { Int32($0.lowerBound) }
        let receiveCounts = [Int32](repeating: Int32(mine), count: size)
        let receiveStarts = (0 ..< size).map { Int32($0 * mine) }
        try Cluster.check(vae_mpi_alltoallv(x, counts, starts, scratch, receiveCounts, receiveStarts, vae_mpi_float(), world),
                          "MPI_Alltoallv")
        sum(scratch, (1 ..< size).map { scratch + $0 * mine }, mine)
        (x + ranges[rank].lowerBound).update(from: scratch, count: mine)
        try Cluster.check(vae_mpi_allgatherv_in_place(x, counts, starts, vae_mpi_float(), world), "MPI_Allgatherv")
    }

    // MARK: Agreeing on failures and stops
    //
    // An error on one rank must end every rank with one message. A rank that fails leaves the
    // others waiting in their next collective operation, so a tool that reports errors
    // collectively has its ranks meet at an agreement point (`agree`) after every piece of work
    // that can fail, before any other collective operation; the rank that failed calls
    // `reportFailure` instead, which matches the others' `agree`. Both are one MPI_Iallreduce
    // (maximum) of one Int64 (`Agreement`), which carries the stop flag in bit 0, and a failure as
    // (N - rank) << 9 | status << 1: the maximum names the lowest failing rank and its status.

    /// An agreement point: waits for every rank, sharing a stop request.
    /// - Returns: whether any rank asked to stop.
    /// - Throws: `PeerFailure` when a rank reported a failure instead of arriving.
    public func agree(stop: Bool) throws -> Bool {
        guard isDistributed else { return stop }
        let value = try agreement(Agreement.arriving(stop: stop), timeout: -1) ?? 0
        if let failure = Agreement.failure(in: value, size: size) { throw failure }
        return Agreement.stops(value)
    }

    /// Reports this rank's failure (exit `status`) at the other ranks' next agreement point.
    /// - Returns: the lowest rank that failed there (this one, or another that failed too) and
    ///   its status; nil when the others did not arrive within `timeout` seconds (they are
    ///   blocked elsewhere: the caller then ends the job with `abort`).
    public func reportFailure(status: Int32, timeout: Double) -> PeerFailure? {
        guard isDistributed else { return PeerFailure(rank: rank, status: status) }
        let mine = Agreement.failing(rank: rank, size: size, status: status)
        guard let value = try? agreement(mine, timeout: timeout) else { return nil }
        return Agreement.failure(in: value, size: size)
    }

    /// The ranks' maximum of `value`; nil after `timeout` seconds (< 0: no limit).
    private func agreement(_ value: Int64, timeout: Double) throws -> Int64? {
        var v = value
        var completed: Int32 = 0
        try Cluster.check(vae_mpi_agree_max(&v, timeout, &completed, world), "MPI_Iallreduce")
        return completed != 0 ? v : nil
    }

    // MARK: Helpers

    /// Rank 0's array of fixed-size values on every rank.
    private func broadcastValues(_ values: [Int64]) throws -> [Int64] {
        var v = values
        try Cluster.check(vae_mpi_bcast(&v, Int32(v.count), vae_mpi_int64(), 0, world), "MPI_Bcast")
        return v
    }

    /// Calls `body(start, count)` over 0 ..< total in pieces that fit MPI's Int32 counts.
    private func forEachPiece(of total: Int, _ body: (Int, Int32) throws -> Void) throws {
        let piece = 1 << 30
        var start = 0
        repeat {
            let n = min(piece, total - start)
            try body(start, Int32(n))
            start += n
        } while start < total
    }
}
