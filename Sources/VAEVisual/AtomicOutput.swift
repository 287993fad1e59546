// A file written as a stream and still atomic: bytes go through a buffer into a hidden temporary
// file beside the destination, which is flushed and renamed into place by `commit()`; until
// then the destination is untouched, and `abandon()` (or a failure) removes the temporary file.
// The path `-` means standard output instead (no temporary file, nothing to rename).
import Foundation
import VAEData

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
    public let temporaryPath: String?
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int
    private var finished = false

    /// Opens the temporary file `.NAME.tmp-PID` beside `path` (or standard output for `-`).
    /// - Parameter bufferSize: bytes gathered before each write to the file.
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        capacity = max(1, bufferSize)
        buffer.reserveCapacity(capacity)
        if path == "-" {
            fd = STDOUT_FILENO
            temporaryPath = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        guard FileIO.isDirectory(parent) else {
            throw DataError(.missingFile, path, "the output's directory \(parent) does not exist")
        }
        if FileIO.isDirectory(path) { throw DataError(.io, path, "is a directory, expected a file name") }
        let temporary = FileIO.join(parent, ".\(url.lastPathComponent).tmp-\(getpid())")
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(.io, path, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        temporaryPath = temporary
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
        finished = true
        guard let temporary = temporaryPath else { return }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError(.io, path, "fsync failed: \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError(.io, path, "cannot rename into place: \(reason)")
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dir = open(parent, O_RDONLY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Closes and removes the temporary file; the destination is left as it was. Idempotent.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let temporary = temporaryPath {
            close(fd)
            unlink(temporary)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        try FileIO.writeAll(fd, bytes, path: path)
    }
}
