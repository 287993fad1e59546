// Whole-file reads, atomic writes, and directory helpers. Everything the pipeline writes goes
// through `AtomicFile` or `ArtifactDirectory`: a temporary name first, renamed into place when
// complete, so a failure or a kill never leaves a half-written file under its final name.
import Foundation

public enum FileIO {
    /// Reads a whole file; a missing, unreadable or (when `allowEmpty` is false) empty file is an error.
    public static func read(_ path: String, allowEmpty: Bool = false) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.missingFile, path, "no such file")
        }
        if isDirectory.boolValue { throw DataError(.io, path, "is a directory, expected a file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DataError(.io, path, "cannot open for reading: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw DataError(.io, path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        // Read straight into the array: one allocation of the file's size, no intermediate copy.
        let size = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while filled < size {
                let got = Foundation.read(fd, buffer.baseAddress! + filled, size - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw DataError(.io, path, "read failed: \(String(cString: strerror(errno)))")
                }
                if got == 0 { break }
                filled += got
            }
        }
        if filled < size { bytes.removeSubrange(filled...) }
        if bytes.isEmpty && !allowEmpty { throw DataError(.emptyFile, path, "file is empty") }
        return bytes
    }

    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Joins a directory and a file name.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Writes `bytes` to `fd` completely.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw DataError(.io, path, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// fsyncs a directory so that a rename inside it is durable.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

extension FileIO {
    /// A file read piece by piece.
    public final class Reader {
        public let path: String
        public let size: Int
        private let fd: Int32

        public init(_ path: String) throws {
            guard FileIO.exists(path) else { throw DataError(.missingFile, path, "no such file") }
            if FileIO.isDirectory(path) { throw DataError(.io, path, "is a directory, expected a file") }
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw DataError(.io, path, "cannot open for reading: \(String(cString: strerror(errno)))")
            }
            var status = stat()
            fstat(fd, &status)
            self.path = path
            size = Int(status.st_size)
            if size == 0 {
                close(fd)
                throw DataError(.emptyFile, path, "file is empty")
            }
        }

        deinit { close(fd) }

        /// The next piece of at most `count` bytes; empty at the end of the file.
        public func read(upTo count: Int) throws -> ArraySlice<UInt8> {
            var bytes = [UInt8](repeating: 0, count: count)
            let got = try bytes.withUnsafeMutableBytes { buffer -> Int in
                while true {
                    let n = Foundation.read(fd, buffer.baseAddress!, count)
                    if n >= 0 { return n }
                    if errno != EINTR { throw DataError(.io, path, "read failed: \(String(cString: strerror(errno)))") }
                }
            }
            return bytes[0..<got]
        }

        /// The last `count` bytes (or the whole file if it is shorter), without moving the position.
        public func tail(_ count: Int) throws -> ArraySlice<UInt8> {
            let n = min(count, size)
            var bytes = [UInt8](repeating: 0, count: n)
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, n, off_t(size - n)) }
            guard got == n else { throw DataError(.io, path, "read failed") }
            return bytes[...]
        }
    }
}

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
