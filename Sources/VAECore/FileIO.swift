// Whole-file and piecewise reads, complete writes to a descriptor, and path helpers; every failure
// is a `DataError` naming the file. Everything the pipeline writes goes through `AtomicFile` or
// `AtomicDirectory`: a temporary name first, renamed into place when complete, so a failure or a
// kill never leaves a half-written file under its final name.
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
