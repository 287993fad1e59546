// What every executable does with an error: one line on stderr naming the tool, the file and the
// problem, and a non-zero exit status. The libraries throw; only this turns errors into exits.
import ArgumentParser
import Foundation
import VAECluster
import VAEData

/// Runs `body` with SIGINT and SIGTERM handled as `onSignal` says (by default: remove the files
/// being written and exit at once, see `StopSignals`); any error other than ArgumentParser's own
/// becomes one line on stderr and exit 1, or for a stop by a signal (an `InterruptionError`)
/// exit 128 + the signal (130 for SIGINT, 143 for SIGTERM).
public func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal = .exit,
                            _ body: () throws -> Void) throws {
    try reportingErrors(tool, onSignal: first, onCluster: false) { _ in try body() }
}

/// `reportingErrors` on the ranks of this job (`Cluster.join()`: MPI only under mpirun), then
/// ends MPI. An error on any rank becomes one line on that rank's stderr naming the rank
/// ("vae-train: rank 1: ...") and ends every rank of the job (MPI_Abort) with the exit status
/// `reportingErrors` gives it.
public func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal = .exit,
                            onCluster body: (Cluster) throws -> Void) throws {
    try reportingErrors(tool, onSignal: first, onCluster: true, body)
}

private func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal, onCluster: Bool,
                             _ body: (Cluster) throws -> Void) throws {
    StopSignals.install(tool: tool, first: first)
    var cluster = Cluster.single
    do {
        if onCluster { cluster = try Cluster.join() }
        try body(cluster)
        cluster.finish()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        let status = (error as? InterruptionError)?.interruptingSignal.map { 128 + $0 } ?? 1
        if cluster.usesMPI {
            // A stop by a signal reaches every rank: rank 0 alone says so.
            let quiet = (error as? InterruptionError)?.interruptingSignal != nil && !cluster.isRoot
            cluster.abort(message: quiet ? nil : "\(tool): rank \(cluster.rank): \(String(describing: error))", code: status)
        }
        printError("\(tool): \(String(describing: error))")
        throw ExitCode(status)
    }
}

/// Writes one line to standard error.
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes one line to standard output, unbuffered.
public func printOut(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
