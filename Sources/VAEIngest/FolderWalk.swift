// The walk down an image folder's tree that `ImageListing` makes: each folder's visible entries
// (names starting with "." are skipped), sorted bytewise, with symbolic links followed. Folders are
// known by their device and inode, so a link that leads back to a folder being walked (a loop) is
// refused naming the link, and a folder reached a second time by another path (through a link) is
// refused too: every folder is read once (its files never twice, under two names), and the walk
// always ends.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VAECore

struct FolderWalk {
    /// The visible entries of one folder, each list sorted bytewise.
    struct Entries {
        var key: Key
        var directories: [String] = []
        var files: [String] = []
    }

    /// A folder's identity on this machine.
    struct Key: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    let root: String
    /// The folders from the root down to the one being read, with their paths.
    private var walking = [Key: String]()
    /// Every folder read so far, with its path.
    private var seen = [Key: String]()

    init(root: String) { self.root = root }

    /// The entries of `relative` (a path below the root, "" for the root itself). Until
    /// `leave(entries.key)`, the folder counts as one being walked.
    mutating func enter(_ relative: String) throws -> Entries {
        let path = relative.isEmpty ? root : FileIO.join(root, relative)
        guard let dir = opendir(path) else {
            let code = errno
            if code == ENOENT { throw DataError(.missingFile, path, "no such folder") }
            if code == ENOTDIR { throw DataError(.io, path, "is a file, expected a folder") }
            throw DataError(.io, path, "cannot open the folder: \(String(cString: strerror(code)))")
        }
        defer { closedir(dir) }
        var info = stat()
        guard fstat(dirfd(dir), &info) == 0 else {
            throw DataError(.io, path, "cannot stat the folder: \(String(cString: strerror(errno)))")
        }
        var result = Entries(key: Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
        if let ancestor = walking[result.key] {
            throw DataError(.unsupported, path, "symbolic link loop: it leads back to \(ancestor), a folder that holds it")
        }
        if let earlier = seen[result.key] {
            throw DataError(.unsupported, path,
                "is the same folder as \(earlier) (reached twice through a symbolic link): each folder is read once")
        }
        walking[result.key] = path
        seen[result.key] = path
        // A link is followed to see what it names; one that cannot be followed (dangling, or a
        // loop of links) is listed as a file, so that reading it names the problem.
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name.hasPrefix(".") { continue }
            var isDirectory = Int32(entry.pointee.d_type) == Int32(DT_DIR)
            var isFile = Int32(entry.pointee.d_type) == Int32(DT_REG)
            if !isDirectory && !isFile {  // a link, or a file system that does not say
                var target = stat()
                if stat(FileIO.join(path, name), &target) == 0 {
                    isDirectory = (target.st_mode & S_IFMT) == S_IFDIR
                    isFile = (target.st_mode & S_IFMT) == S_IFREG
                } else {
                    isFile = true
                }
            }
            if isDirectory { result.directories.append(name) } else if isFile { result.files.append(name) }
        }
        let bytewise: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        result.directories.sort(by: bytewise)
        result.files.sort(by: bytewise)
        return result
    }

    /// Ends the walk of a folder `enter` gave.
    mutating func leave(_ key: Key) { walking[key] = nil }

    /// Every file below `relative` (at any depth) whose name `accept` takes, as paths relative to
    /// the root sorted bytewise; `strays` counts the visible files it does not take.
    mutating func files(below relative: String, accept: (String) -> Bool, strays: inout Int) throws -> [String] {
        var found = [String]()
        try collect(relative, accept: accept, into: &found, strays: &strays)
        return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private mutating func collect(_ relative: String, accept: (String) -> Bool, into found: inout [String],
                                  strays: inout Int) throws {
        let entries = try enter(relative)
        defer { leave(entries.key) }
        for name in entries.files {
            if accept(name) { found.append(relative + "/" + name) } else { strays += 1 }
        }
        for name in entries.directories {
            try collect(relative + "/" + name, accept: accept, into: &found, strays: &strays)
        }
    }
}
