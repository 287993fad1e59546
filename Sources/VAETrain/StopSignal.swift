// SIGINT and SIGTERM ask the training loop to stop at the next step boundary, after writing a
// checkpoint, instead of killing the process mid-step.
import Dispatch
import Foundation

/// A flag the training loop polls once per step.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public var isRequested: Bool { lock.withLock { requested } }

    public func request() { lock.withLock { requested = true } }

    /// Routes SIGINT and SIGTERM to `request()` for as long as this object lives.
    public func installSignalHandlers() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            sources.append(source)
        }
    }
}
