// A fuzz target: turns fuzzer bytes into a file that looks valid but may lie, hands it to one of
// the pipeline's readers, and judges the answer. The reader may accept the file or throw a
// `DataError` that names the file, in one line; anything else is a failure. A trap, a hang or a huge
// allocation ends the process, which the fuzzer reports as a crash. A file in which no decision lied
// must be accepted and read back as written.
//
// Adding a reader (the JPEG decoder, say) is one `FuzzTarget` value like those in Targets/ and its
// name in `FuzzTarget.all`; its corpus goes in Tests/Fuzz/corpus/NAME/.
import Foundation
import VAECore

/// What a reader did wrong with a fuzzed file.
public struct FuzzFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

public struct FuzzTarget: Sendable {
    /// The target's name: its corpus folder and its name on the command line.
    public let name: String
    /// Builds a file from the input in `scratch` (a directory of the target's own) and reads it.
    let body: @Sendable (inout FuzzInput, String) throws -> Void

    public init(name: String, body: @escaping @Sendable (inout FuzzInput, String) throws -> Void) {
        self.name = name
        self.body = body
    }

    /// Runs the target on one input; throws a `FuzzFailure` when the reader misbehaved.
    public func run(_ bytes: [UInt8], scratch: String) throws {
        var input = FuzzInput(bytes)
        try body(&input, scratch)
    }

    /// Every target, in the order `make fuzz` runs them.
    public static let all: [FuzzTarget] = [.manifest, .shard, .checkpoint, .convCheckpoint, .idx, .png, .jpeg]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Runs `read` on a file that `input` may have made lie: a `DataError` about a path under
/// `file` is a correct answer for a lying file; any other error, or any error for an honest file,
/// is a `FuzzFailure`. Returns whether `read` succeeded.
@discardableResult
func judge(_ input: FuzzInput, file: String, _ read: () throws -> Void) throws -> Bool {
    do {
        try read()
        return true
    } catch let error as DataError {
        guard input.lied else { throw FuzzFailure("a valid file was refused: \(error)") }
        guard error.path.hasPrefix(file) else { throw FuzzFailure("the error does not name \(file): \(error)") }
        guard !error.description.contains("\n") else { throw FuzzFailure("the error is not one line: \(error)") }
        return false
    } catch let error as FuzzFailure {
        throw error
    } catch {
        throw FuzzFailure("not a DataError: \(type(of: error)): \(error)")
    }
}

/// A directory for one target's files, created on first use.
public func fuzzScratchDirectory(_ target: String) throws -> String {
    let path = NSTemporaryDirectory() + "vae-fuzz-\(getpid())/\(target)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
