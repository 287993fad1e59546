// A directory written as a whole: built under a hidden temporary name beside its final one and
// renamed into place once complete (replacing an old one only then), so a failure or a kill
// leaves nothing under the final name.
import Foundation

/// A directory built under a hidden temporary name beside its final one and renamed into place.
public struct AtomicDirectory: Sendable {
    public let final: String
    public let temporary: String

    /// Refuses an existing non-empty `final` unless `force`; creates the temporary directory.
    public init(final: String, force: Bool) throws {
        self.final = final
        let url = URL(fileURLWithPath: final)
        let parent = url.deletingLastPathComponent().path
        temporary = FileIO.join(parent, ".\(url.lastPathComponent).tmp-\(getpid())")
        let fm = FileManager.default
        if FileIO.isDirectory(final) {
            let contents = (try? fm.contentsOfDirectory(atPath: final)) ?? []
            if !contents.isEmpty && !force {
                throw DataError(.alreadyExists, final, "output directory exists and is not empty (use --force to replace it)")
            }
        } else if FileIO.exists(final) {
            throw DataError(.alreadyExists, final, "output path exists and is not a directory")
        }
        guard FileIO.isDirectory(parent) else {
            throw DataError(.missingFile, parent, "parent directory of the output does not exist")
        }
        Self.removeAbandoned(prefix: ".\(url.lastPathComponent).tmp-", in: parent)
        do {
            try fm.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        } catch {
            throw DataError(.io, temporary, "cannot create directory: \(error.localizedDescription)")
        }
        TemporaryFiles.register(temporary)  // removed by an exit on Ctrl-C
    }

    /// Removes temporary directories of this destination whose writer is no longer running (a
    /// killed ingest), and this process's own.
    private static func removeAbandoned(prefix: String, in parent: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                try? FileManager.default.removeItem(atPath: FileIO.join(parent, name))
            }
        }
    }

    /// Renames the finished directory into place, replacing (and then removing) an old one.
    public func commit() throws {
        FileIO.syncDirectory(temporary)
        let fm = FileManager.default
        var old: String?
        if FileIO.exists(final) {
            let aside = temporary.replacingOccurrences(of: ".tmp-", with: ".old-")
            try? fm.removeItem(atPath: aside)
            guard rename(final, aside) == 0 else {
                throw DataError(.io, final, "cannot move the old directory aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { rename(old, final) }
            throw DataError(.io, final, "cannot rename the finished directory into place: \(reason)")
        }
        TemporaryFiles.unregister(temporary)
        FileIO.syncDirectory(URL(fileURLWithPath: final).deletingLastPathComponent().path)
        if let old { try? fm.removeItem(atPath: old) }
    }

    /// Removes the temporary directory after a failure.
    public func abandon() {
        try? FileManager.default.removeItem(atPath: temporary)
        TemporaryFiles.unregister(temporary)
    }
}
