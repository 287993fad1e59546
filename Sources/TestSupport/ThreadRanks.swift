// N ranks played by N threads of one process, for in-process tests of what ingest, training and
// embedding do under `mpirun -np N`. Each collective operation waits for every rank, then each
// reads what the others contributed from shared memory; the results are `Cluster`'s to the bit:
// the same copies, the same sums in rank order through the same `sum`, the same agreement words
// (`Agreement`). `ThreadRanks.results` starts the N ranks as mpirun starts N processes of a tool,
// and ends them as `reportingErrors(collectiveErrors: true)` does: a failing rank reports its
// failure at the others' next agreement point, and they end with it (`PeerFailure`).
//
// Where MPI would hang or abort (ranks that call different operations, a rank gone while others
// wait), every rank's collective operation throws `ClusterError` instead, so a broken test fails
// rather than waits.
//
// N = size.
import Foundation
import VAECluster
import VAECore

/// One rank of a job whose ranks are the threads of this process.
public final class ThreadRanks: Ranks, @unchecked Sendable {
    public let rank: Int
    /// Where the ranks meet.
    private let job: Job
    public var size: Int { job.size }

    private init(rank: Int, job: Job) {
        self.rank = rank
        self.job = job
    }

    // MARK: Running a job

    /// Runs `body` on `size` threads, one rank each, and waits for them. After `body`, every rank
    /// meets at an agreement point (a rank still at work may yet fail); a rank whose `body`
    /// throws reports its failure there instead (`reportFailure`, exit status 1, or 128 + the
    /// signal of a stop), waiting at most `timeout` seconds for the others, and a rank that meets
    /// another's failure ends with `PeerFailure`.
    /// - Returns: each rank's outcome, in rank order.
    public static func results<T>(size: Int, timeout: Double = 60,
                                  _ body: @escaping @Sendable (ThreadRanks) throws -> T) -> [Result<T, any Error>] {
        let job = Job(size: size)
        let outcomes = Outcomes<T>(size: size)
        let group = DispatchGroup()
        for rank in 0 ..< size {
            group.enter()
            Thread {
                defer { group.leave() }
                let ranks = ThreadRanks(rank: rank, job: job)
                var outcome = Result { try body(ranks) }
                switch outcome {
                case .success:
                    do { _ = try ranks.agree() } catch { outcome = .failure(error) }
                case .failure(let error) where !(error is PeerFailure) && !(error is ClusterError):
                    let status = (error as? InterruptionError)?.interruptingSignal.map { 128 + $0 } ?? 1
                    _ = ranks.reportFailure(status: status, timeout: timeout)
                case .failure:
                    break
                }
                job.leave(rank)
                outcomes.set(rank, outcome)
            }.start()
        }
        group.wait()
        return outcomes.all
    }

    /// `results` when every rank is to succeed: each rank's value in rank order, or the error of
    /// the lowest rank that failed.
    public static func run<T>(size: Int, _ body: @escaping @Sendable (ThreadRanks) throws -> T) throws -> [T] {
        try results(size: size, body).map { try $0.get() }
    }

    // MARK: Collectives (`Ranks`)

    public func barrier() throws {
        _ = try job.meet(rank, .barrier, ())
    }

    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        try job.meet(rank, .broadcast, bytes)[0]
    }

    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]]? {
        let all = try job.meet(rank, .gather, bytes)
        return isRoot ? all : nil
    }

    public func allgather(_ values: [Int64]) throws -> [Int64] {
        try job.meet(rank, .allgather, values).flatMap { $0 }
    }

    public func exchange(_ parts: [[UInt8]]) throws -> [[UInt8]] {
        precondition(parts.count == size, "one part per rank")
        return try job.meet(rank, .exchange, parts).map { $0[rank] }
    }

    public func sumInRankOrder(_ values: [Double]) throws -> [Double] {
        let all = try job.meet(rank, .sum, values)
        var sum = all[0]
        for r in 1 ..< size {
            for i in sum.indices { sum[i] += all[r][i] }
        }
        return sum
    }

    /// As `Cluster`'s: rank k copies range k of every rank's `x` into `scratch` (rank r's at
    /// r · ranges[k].count), `sum` adds them, and rank k's `x` receives every other rank's summed
    /// range from its owner. Three meetings: every `x` is known; every range is summed into its
    /// owner's `x`; every rank has copied the summed ranges (so no `x` changes while read).
    public func sumInRankOrder(_ x: UnsafeMutablePointer<Float>, ranges: [Range<Int>], scratch: UnsafeMutablePointer<Float>,
                               sum: (_ first: UnsafeMutablePointer<Float>, _ rest: [UnsafeMutablePointer<Float>], _ length: Int) -> Void) throws {
        guard isDistributed else { return }
        precondition(ranges.count == size, "one range per rank")
        let mine = ranges[rank]
        let xs = try job.meet(rank, .sumInPlace, x)
        for r in 0 ..< size {
            (scratch + r * mine.count).update(from: xs[r] + mine.lowerBound, count: mine.count)
        }
        sum(scratch, (1 ..< size).map { scratch + $0 * mine.count }, mine.count)
        (x + mine.lowerBound).update(from: scratch, count: mine.count)
        _ = try job.meet(rank, .sumInPlace, ())
        for r in 0 ..< size where r != rank {
            (x + ranges[r].lowerBound).update(from: xs[r] + ranges[r].lowerBound, count: ranges[r].count)
        }
        _ = try job.meet(rank, .sumInPlace, ())
    }

    public func agree(stop: Bool) throws -> Bool {
        let value = try job.meet(rank, .agreement, Agreement.arriving(stop: stop)).max()!
        if let failure = Agreement.failure(in: value, size: size) { throw failure }
        return Agreement.stops(value)
    }

    /// As `Cluster`'s; when the others do not arrive within `timeout` seconds, or arrive in
    /// another operation, the job ends: every rank's collective operation throws `ClusterError`.
    public func reportFailure(status: Int32, timeout: Double) -> PeerFailure? {
        let mine = Agreement.failing(rank: rank, size: size, status: status)
        guard let all = try? job.meet(rank, .agreement, mine, timeout: timeout) else { return nil }
        return Agreement.failure(in: all.max()!, size: size)
    }
}

extension ThreadRanks {
    /// The collective operations, which every rank must call in the same order.
    enum Operation: String {
        case barrier, broadcast, gather, allgather, exchange, sum, sumInPlace, agreement
    }

    /// Where the ranks of one job meet: a round completes when every rank has arrived with its
    /// contribution, and each then reads every rank's, in rank order.
    final class Job: @unchecked Sendable {
        private let condition = NSCondition()
        let size: Int
        /// Completed rounds: a rank waits until this moves past the round it arrived in.
        private var round = 0
        private var arrived = 0
        private var operations: [Operation?]
        private var contributions: [Any?]
        /// The last completed round's contributions, in rank order.
        private var published: [Any] = []
        /// Why the job ended (a rank left, ranks met in different operations, a timeout): every
        /// meeting not yet complete, and every later one, throws it.
        private var ended: ClusterError?

        init(size: Int) {
            self.size = size
            operations = Array(repeating: nil, count: size)
            contributions = Array(repeating: nil, count: size)
        }

        /// Every rank's `value` in rank order, once every rank has given one to `operation`.
        /// - Parameter timeout: seconds to wait for the others (nil: no limit), after which the job ends.
        func meet<T>(_ rank: Int, _ operation: Operation, _ value: T, timeout: Double? = nil) throws -> [T] {
            condition.lock()
            defer { condition.unlock() }
            if let ended { throw ended }
            let mine = round
            operations[rank] = operation
            contributions[rank] = value
            arrived += 1
            if arrived == size {
                let called = operations.map { $0!.rawValue }
                guard Set(called).count == 1 else {
                    end(ClusterError("the ranks called different collective operations: \(called.enumerated().map { "rank \($0.offset) \($0.element)" }.joined(separator: ", "))"))
                    throw ended!
                }
                published = contributions.map { $0! }
                operations = Array(repeating: nil, count: size)
                contributions = Array(repeating: nil, count: size)
                arrived = 0
                round += 1
                condition.broadcast()
            } else {
                let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
                while round == mine && ended == nil {
                    if let deadline {
                        if !condition.wait(until: deadline) && round == mine && ended == nil {
                            end(ClusterError("rank \(rank) waited \(timeout!) s for the others at \(operation.rawValue)"))
                        }
                    } else {
                        condition.wait()
                    }
                }
                if round == mine { throw ended! }
            }
            return published.map { $0 as! T }
        }

        /// Rank `rank` is gone: no meeting can complete from now on.
        func leave(_ rank: Int) {
            condition.lock()
            defer { condition.unlock() }
            if ended == nil { end(ClusterError("rank \(rank) has ended")) }
        }

        /// Ends the job (the lock held): every rank waiting wakes and throws `error`.
        private func end(_ error: ClusterError) {
            ended = error
            condition.broadcast()
        }
    }

    /// Each rank's outcome, set from its thread.
    final class Outcomes<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var byRank: [Result<T, any Error>?]

        init(size: Int) { byRank = Array(repeating: nil, count: size) }

        func set(_ rank: Int, _ outcome: Result<T, any Error>) { lock.withLock { byRank[rank] = outcome } }

        var all: [Result<T, any Error>] { lock.withLock { byRank.map { $0! } } }
    }
}
