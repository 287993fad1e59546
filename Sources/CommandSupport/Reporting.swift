// What every executable does with an error: one line on stderr naming the tool, the file and the
// problem, and a non-zero exit status. The libraries throw; only this turns errors into exits.
import ArgumentParser
import Foundation
import VAECluster
import VAECore

/// Runs `body` with SIGINT and SIGTERM handled as `onSignal` says (by default: remove the files
/// being written and exit at once, see `StopSignals`); any error other than ArgumentParser's own
/// becomes one line on stderr and exit 1, or for a stop by a signal (an `InterruptionError`)
/// exit 128 + the signal (130 for SIGINT, 143 for SIGTERM).
public func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal = .exit,
                            _ body: () throws -> Void) throws {
    try reportingErrors(tool, onSignal: first, onCluster: false) { _ in try body() }
}

/// `reportingErrors` on the ranks of this job (`Cluster.join()`: MPI only under mpirun), then
/// ends MPI. An error on any rank becomes one line on stderr naming the rank
/// ("vae-train: rank 1: ...") and ends every rank of the job with the exit status
/// `reportingErrors` gives it:
///
/// - `collectiveErrors`: the tool's ranks meet at `Cluster.agree` after all work that can fail
///   (and once more after `body`); a rank that fails reports it there (`reportFailure`), the
///   lowest failing rank alone prints, and every rank ends MPI and exits with its status. If the
///   others do not arrive within `agreementTimeout` seconds, or MPI itself failed, as below;
/// - otherwise the failing rank prints and ends the job with MPI_Abort.
///
/// The ranks other than 0 print nothing on a stop signal (rank 0 says it).
public func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal = .exit, collectiveErrors: Bool = false,
                            onCluster body: (Cluster) throws -> Void) throws {
    try reportingErrors(tool, onSignal: first, onCluster: true, collective: collectiveErrors, body)
}

/// How long a failing rank waits for the others at their next agreement point before it ends the
/// job with MPI_Abort: longer than the longest stretch of work between two of them (rank 0's
/// evaluation of the test split, which the other ranks wait for).
public let agreementTimeout = 60.0

private func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal, onCluster: Bool,
                             collective: Bool = false, _ body: (Cluster) throws -> Void) throws {
    StopSignals.install(tool: tool, first: first)
    var cluster = Cluster.single
    do {
        if onCluster {
            cluster = try Cluster.join()
            if !cluster.isRoot { StopSignals.silence() }
        }
        try body(cluster)
        if collective { _ = try cluster.agree() }  // a rank still at work may yet fail
        cluster.finish()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        let status = (error as? InterruptionError)?.interruptingSignal.map { 128 + $0 } ?? 1
        if cluster.usesMPI {
            throw ExitCode(endJob(tool, cluster, error, status: status, collective: collective))
        }
        printError("\(tool): \(String(describing: error))")
        throw ExitCode(status)
    }
}

/// Ends this rank's part of an MPI job after `error`, and returns the exit status (or ends the
/// process, through MPI_Abort).
private func endJob(_ tool: String, _ cluster: Cluster, _ error: Error, status: Int32, collective: Bool) -> Int32 {
    let message = "\(tool): rank \(cluster.rank): \(String(describing: error))"
    // mpirun stops (SIGTERM) the ranks still running once one exits with a failure: that is its
    // cleanup, not news, so no rank says it received it.
    StopSignals.silence()
    if let peer = error as? PeerFailure {  // another rank failed and says so
        cluster.finish()
        return peer.status
    }
    if collective && !(error is ClusterError), let outcome = cluster.reportFailure(status: status, timeout: agreementTimeout) {
        if outcome.rank == cluster.rank { printError(message) }
        cluster.finish()
        return outcome.status
    }
    // A stop by a signal reaches every rank: rank 0 alone says so.
    let quiet = (error as? InterruptionError)?.interruptingSignal != nil && !cluster.isRoot
    cluster.abort(message: quiet ? nil : message, code: status)
}

/// Writes one line to standard error.
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes one line to standard output, unbuffered.
public func printOut(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
