// The one atomic-write path of the project: a file is written under a hidden temporary name
// beside its destination, flushed, and renamed into place when complete, so a failure or a kill
// never leaves a half-written file under its final name.
import Foundation

/// Writes a file under a temporary name beside its destination, flushes it to disk and renames it
/// into place: the one atomic-write path of the project.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, sync: Bool = true) throws {
        try bytes.withUnsafeBytes { try write($0, to: path, sync: sync) }
    }

    public static func write(_ string: String, to path: String, sync: Bool = true) throws {
        try write(Array(string.utf8), to: path, sync: sync)
    }

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, sync: Bool = true) throws {
        let writer = try AtomicFileWriter(path: path)
        do {
            try writer.write(bytes)
            try writer.commit(sync: sync)
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// `dir/.name.tmp-PID`: hidden, beside the destination, unique per process.
    public static func temporaryName(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return FileIO.join(url.deletingLastPathComponent().path, ".\(url.lastPathComponent).tmp-\(getpid())")
    }

    /// Whether `name` (a file name, no directory) is one of `temporaryName`'s.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-")
    }

    static func parent(of path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }
}

/// A file written piece by piece under `AtomicFile.temporaryName(for:)` and renamed into place by
/// `commit()`; until then the destination is untouched, and `abandon()` (or deinit) removes the
/// temporary file. While it is open the temporary file is listed in `TemporaryFiles`, so an exit
/// on a signal removes it.
public final class AtomicFileWriter {
    /// The destination.
    public let path: String
    /// The hidden file the bytes go to until `commit()`.
    public let temporaryPath: String
    private var fd: Int32
    private var finished = false

    /// Creates the temporary file beside `path`; throws a `DataError` naming `path` when its
    /// directory does not exist or cannot be written.
    public init(path: String) throws {
        self.path = path
        temporaryPath = AtomicFile.temporaryName(for: path)
        TemporaryFiles.register(temporaryPath)
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            TemporaryFiles.unregister(temporaryPath)
            throw DataError(.io, path, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    deinit { abandon() }

    /// Appends `bytes` to the temporary file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileIO.writeAll(fd, bytes, path: path)
    }

    /// fsyncs (when `sync`), closes and renames the temporary file to `path`, then fsyncs the
    /// directory so the rename is durable.
    public func commit(sync: Bool = true) throws {
        guard !finished else { return }
        finished = true
        defer { TemporaryFiles.unregister(temporaryPath) }
        if sync && fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporaryPath)
            throw DataError(.io, path, "fsync failed: \(reason)")
        }
        close(fd)
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw DataError(.io, path, "cannot rename into place: \(reason)")
        }
        if sync { FileIO.syncDirectory(AtomicFile.parent(of: path)) }
    }

    /// Closes and removes the temporary file; the destination is left as it was. Idempotent.
    public func abandon() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporaryPath)
        TemporaryFiles.unregister(temporaryPath)
    }
}
