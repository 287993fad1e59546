// Running the built executables from end-to-end tests.
import Foundation
import VAECore
import XCTest

/// The result of running a process to its end.
public struct ProcessResult {
    public var status: Int32
    public var stdoutBytes: [UInt8]
    public var stderr: String

    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
}

/// The path of a built executable, e.g. `executable("vae-ingest")`: `swift test` runs the test
/// bundle from the products directory, where the executables are built too.
public func executable(_ name: String) -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent(name).path
}

/// Starts `path` with `arguments`, its output into pipes; the caller waits for it or signals it.
public func launch(_ path: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
}

/// Runs `path` with `arguments` to its end. Both streams go to files, so a large output can never
/// block the child on a full pipe.
public func runTool(_ path: String, _ arguments: [String]) throws -> ProcessResult {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw DataError(.missingFile, path, "executable not built")
    }
    let scratch = NSTemporaryDirectory() + "vae-run-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? out.close(); try? err.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdoutBytes: try FileIO.read(outPath, allowEmpty: true),
        stderr: String(decoding: try FileIO.read(errPath, allowEmpty: true), as: UTF8.self))
}

/// Sends `signals` to a process started by `launch`, `gap` seconds apart, waits for it to end and
/// returns what it wrote to standard error.
public func interrupt(_ process: Process, stderr: Pipe, with signals: [Int32], gap: Double = 0) -> String {
    for (i, signal) in signals.enumerated() {
        if i > 0 { usleep(useconds_t(gap * 1_000_000)) }
        kill(process.processIdentifier, signal)
    }
    let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text
}

/// Runs `tool` under `mpirun -np n` with what this machine needs: --oversubscribe past its cores,
/// and --allow-run-as-root when the tests run as root.
public func runUnderMpirun(_ n: Int, _ tool: String, _ arguments: [String], quiet: Bool = false) throws -> ProcessResult {
    try runTool("/usr/bin/mpirun", (quiet ? ["-q"] : []) + ["-np", "\(n)", "--oversubscribe"]
                + (getuid() == 0 ? ["--allow-run-as-root"] : []) + [tool] + arguments)
}
