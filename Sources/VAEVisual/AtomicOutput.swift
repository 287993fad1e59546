// A file written as a stream and still atomic: bytes go through a buffer into VAECore's
// `AtomicFileWriter` (a hidden temporary file beside the destination, flushed and renamed into
// place by `commit()`); until then the destination is untouched, and `abandon()` (or a failure)
// removes the temporary file. The path `-` means standard output instead (no temporary file,
// nothing to rename).
import Foundation
import VAECore

/// A buffered output stream to a file that appears only when complete, or to standard output.
///
/// ```swift
/// let out = try AtomicOutput(path: "latents.csv")
/// do { try out.write(bytes); try out.commit() } catch { out.abandon(); throw error }
/// ```
public final class AtomicOutput {
    /// The destination, or `-` for standard output.
    public let path: String
    /// The temporary file (nil for standard output).
    public var temporaryPath: String? { file?.temporaryPath }
    private let file: AtomicFileWriter?
    private var buffer: [UInt8] = []
    private let capacity: Int

    /// Opens the temporary file `.NAME.tmp-PID` beside `path` (or standard output for `-`).
    /// - Parameter bufferSize: bytes gathered before each write to the file.
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        capacity = max(1, bufferSize)
        buffer.reserveCapacity(capacity)
        if path == "-" {
            file = nil
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileIO.isDirectory(parent) else {
            throw DataError(.missingFile, path, "the output's directory \(parent) does not exist")
        }
        if FileIO.isDirectory(path) { throw DataError(.io, path, "is a directory, expected a file name") }
        file = try AtomicFileWriter(path: path)
    }

    deinit { abandon() }

    /// Appends bytes, writing the buffer out whenever it fills.
    public func write(_ bytes: [UInt8]) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try bytes.withUnsafeBytes { try writeAll($0) }
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Appends the UTF-8 bytes of `text`.
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Writes out the buffered bytes.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and renames the temporary file into place (for standard output: flushes).
    public func commit() throws {
        try flush()
        try file?.commit()
    }

    /// Removes the temporary file; the destination is left as it was. Idempotent.
    public func abandon() {
        file?.abandon()
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        if let file {
            try file.write(bytes)
        } else {
            try FileIO.writeAll(STDOUT_FILENO, bytes, path: path)
        }
    }
}
