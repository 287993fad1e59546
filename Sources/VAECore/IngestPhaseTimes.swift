// Seconds of work per phase of an ingest, summed over every thread (so on two busy cores they add
// up to about twice the wall time): reading files, decoding, resizing, compressing and writing
// shards. `vae-ingest images --phases` prints them; the photo benchmark reports their shares.
import Dispatch
import Foundation

/// Thread time spent in each phase of an ingest.
public final class IngestPhaseTimes: @unchecked Sendable {
    public enum Phase: String, CaseIterable, Sendable {
        case read, decode, resize, compress
    }

    private var seconds: [Phase: Double] = [:]
    private let lock = NSLock()

    public init() {}

    /// Times nobody reads (the default).
    package static let ignored = IngestPhaseTimes()

    /// Runs `body`, adding its duration to `phase`.
    @inline(__always)
    package func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            lock.withLock { seconds[phase, default: 0] += elapsed }
        }
        return try body()
    }

    /// Seconds in `phase` so far.
    public subscript(phase: Phase) -> Double { lock.withLock { seconds[phase] ?? 0 } }

    /// One line: each phase's seconds and its share of their sum.
    public var summary: String {
        let total = Phase.allCases.reduce(0) { $0 + self[$1] }
        return Phase.allCases.map { phase in
            let s = self[phase]
            return "\(phase.rawValue) \(String(format: "%.2f", s)) s (\(String(format: "%.0f", total > 0 ? 100 * s / total : 0))%)"
        }.joined(separator: ", ")
    }
}
