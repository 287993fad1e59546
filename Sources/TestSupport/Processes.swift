// Running the built executables from end-to-end tests.
import Foundation

/// The result of running a process to its end.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The path of a built executable, e.g. `executable("vae-ingest")`.
public func executable(_ name: String) -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    // `swift test` runs NAME.xctest from the products directory; tolerate a bundle layout too.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent(name).path
}

/// Starts `path` with `arguments`; the caller waits or signals it.
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

/// Runs `path` with `arguments` to its end.
public func runTool(_ path: String, _ arguments: [String]) throws -> ProcessResult {
    let (process, out, err) = try launch(path, arguments)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}
