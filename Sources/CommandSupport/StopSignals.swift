// Ctrl-C (SIGINT) and SIGTERM for every executable, in one place. The signals are taken from
// the process's default handling and delivered on a dispatch queue, where it is safe to do real
// work:
//
//   - a tool with work loops that poll a `StopFlag` (vae-train) gets the flag set on the first
//     signal, saves what it can, says so, and exits with 128 + the signal;
//   - a tool without such loops (one whose output appears only when complete) exits on the first
//     signal, after removing its temporary files;
//   - a second signal always exits at once, removing the temporary files first.
//
// Exit statuses: 130 for SIGINT, 143 for SIGTERM, as a shell reports a process a signal killed.
import Dispatch
import Foundation
import Synchronization
import VAECore

public enum StopSignals {
    /// What the first SIGINT or SIGTERM does.
    public enum FirstSignal: Sendable {
        /// Sets the flag; the tool's loops notice it, finish what must be finished, and return.
        case requestStop(StopFlag)
        /// Removes the temporary files being written and exits at once with 128 + the signal.
        case exit
    }

    /// Installs the handlers of SIGINT and SIGTERM for the rest of the process's life; only the
    /// first call of a process does anything (`reportingErrors` makes it for every tool).
    /// - Parameters:
    ///   - tool: the executable's name, for the message on stderr.
    ///   - first: what the first signal does.
    public static func install(tool: String, first: FirstSignal) {
        guard installed.withLock({ done in defer { done = true }; return !done }) else { return }
        let state = Handler(tool: tool, first: first)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: Handler.queue)
            // Signals that arrive before the handler runs are merged; `data` counts them.
            source.setEventHandler { state.received(signalNumber, times: Int(source.data)) }
            source.resume()
            state.sources.append(source)  // kept alive with the handler, for the life of the process
        }
    }

    private static let installed = Mutex(false)
    private static let silenced = Mutex(false)

    /// From now on a signal prints nothing (it still stops or exits): for the ranks of an
    /// mpirun job other than rank 0, which all receive the signal mpirun forwards.
    public static func silence() {
        silenced.withLock { $0 = true }
    }

    fileprivate static var isSilenced: Bool { silenced.withLock { $0 } }

    /// The handler's state; every event runs on `queue`, one at a time.
    private final class Handler: @unchecked Sendable {
        static let queue = DispatchQueue(label: "stop-signals")
        /// The two signal sources (set up before the first event, never changed after).
        var sources: [DispatchSourceSignal] = []

        let tool: String
        let first: FirstSignal
        var count = 0

        init(tool: String, first: FirstSignal) {
            self.tool = tool
            self.first = first
        }

        func received(_ signalNumber: Int32, times: Int) {
            count += max(times, 1)
            let name = signalNumber == SIGINT ? "SIGINT" : "SIGTERM"
            if count == 1, case .requestStop(let flag) = first {
                flag.request(signal: signalNumber)
                if StopSignals.isSilenced { return }
                printError("\(tool): \(name) received: stopping (press Ctrl-C again to exit at once, without saving)")
                return
            }
            TemporaryFiles.removeAll()
            if !StopSignals.isSilenced {
                printError(count == 1
                    ? "\(tool): \(name) received: stopped; nothing was written under a final name"
                    : "\(tool): \(name) received again: exiting at once; files being written were removed")
            }
            _exit(128 + signalNumber)
        }
    }
}
