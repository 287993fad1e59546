// What every executable does with an error: one line on stderr naming the tool, the file and the
// problem, and a non-zero exit status. The libraries throw; only this turns errors into exits.
import ArgumentParser
import Foundation
import VAEData

/// Runs `body` with SIGINT and SIGTERM handled as `onSignal` says (by default: remove the files
/// being written and exit at once, see `StopSignals`); any error other than ArgumentParser's own
/// becomes one line on stderr and exit 1, or for a stop by a signal (an `InterruptionError`)
/// exit 128 + the signal (130 for SIGINT, 143 for SIGTERM).
public func reportingErrors(_ tool: String, onSignal first: StopSignals.FirstSignal = .exit,
                            _ body: () throws -> Void) throws {
    StopSignals.install(tool: tool, first: first)
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("\(tool): \(String(describing: error))")
        if let signal = (error as? InterruptionError)?.interruptingSignal {
            throw ExitCode(128 + signal)
        }
        throw ExitCode.failure
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
