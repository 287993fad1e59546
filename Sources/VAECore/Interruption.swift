// What a stop request looks like to library code: a flag that long loops poll between pieces of
// work (an atomic load, cheap enough to check every batch), and the list of temporary files that
// are still being written, so that a tool that must exit at once can remove them first. The
// executables connect both to SIGINT and SIGTERM (CommandSupport's `StopSignals`); the libraries
// only read the flag and throw.
import Foundation
import Synchronization

/// A request to stop, set from a signal handler's queue and polled by the work loops.
public final class StopFlag: Sendable {
    /// The signal that asked to stop (SIGINT, SIGTERM), 0 while none has.
    private let signalNumber = Atomic<Int32>(0)

    public init() {}

    /// Whether a stop was requested.
    @inline(__always)
    public var isRequested: Bool { signalNumber.load(ordering: .relaxed) != 0 }

    /// The signal that requested the stop, nil while none has.
    public var signal: Int32? {
        let value = signalNumber.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// Asks the loops to stop; `signal` is what the tool's exit status reports (128 + signal).
    public func request(signal: Int32 = SIGTERM) {
        _ = signalNumber.compareExchange(expected: 0, desired: signal, successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
    }

    /// Throws `Interrupted` when a stop was requested.
    @inline(__always)
    public func check() throws(Interrupted) {
        if isRequested { throw Interrupted(signal: signal ?? SIGTERM) }
    }
}

/// The error a loop throws when it sees a stop request: nothing it was writing was kept.
public struct Interrupted: Error, Equatable, CustomStringConvertible {
    public var signal: Int32

    public init(signal: Int32) { self.signal = signal }

    /// 128 + the signal: 130 for SIGINT, 143 for SIGTERM, as a shell reports a process it killed.
    public var exitStatus: Int32 { 128 + signal }

    public var description: String { "interrupted (\(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)")); nothing was written under a final name" }
}

/// The temporary files and directories being written at this moment (by `AtomicFileWriter` and
/// `AtomicDirectory`), so that an immediate exit can remove them: a kill leaves nothing behind but
/// what SIGKILL leaves.
public enum TemporaryFiles {
    private static let paths = Mutex<Set<String>>([])

    package static func register(_ path: String) { paths.withLock { _ = $0.insert(path) } }

    package static func unregister(_ path: String) { paths.withLock { _ = $0.remove(path) } }

    /// Removes every temporary file and directory still registered (for an exit on a signal).
    /// Each is first renamed aside, atomically, so that a writer still running cannot rename it
    /// into its final place half-removed.
    public static func removeAll() {
        paths.withLock { set in
            for path in set {
                let aside = path + ".removing"
                if rename(path, aside) == 0 { try? FileManager.default.removeItem(atPath: aside) }
            }
            set.removeAll()
        }
    }

    /// The temporary files registered now (for tests).
    public static var current: Set<String> { paths.withLock { $0 } }
}

/// An error that reports a stop by a signal: the tool exits with 128 + `interruptingSignal`
/// (130 for SIGINT, 143 for SIGTERM) instead of 1.
public protocol InterruptionError: Error {
    /// The signal that stopped the work, nil if this error is not an interruption.
    var interruptingSignal: Int32? { get }
}

extension Interrupted: InterruptionError {
    public var interruptingSignal: Int32? { signal }
}
