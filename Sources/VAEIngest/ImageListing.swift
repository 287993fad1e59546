// The image files of a folder, listed as a data set. Either class folders (`root/<class>/<file>`:
// the label of an image is the index of its folder's name among the class names sorted bytewise)
// or a flat folder of images (unlabelled); a class folder's files may lie at any depth below it
// (`FolderWalk`). Files are listed in bytewise path order, so the same folder always gives the same
// list; which names count as images is the caller's (`ImageFolder.isImageName`). A train/test
// split is decided per file from a hash of its relative path, so a file's side never depends on
// the other files, but for one file per class that has no other test file. `ImageFolder` reads
// the files; docs/INPUTS.md lists the rules and the errors.
import VAECore

/// The files of an image folder in reading order, with their labels when the folder has classes.
public struct ImageListing: Sendable {
    var labelNames: [String]?
    /// Relative paths, sorted: by class, then by name.
    var files: [String]
    /// One per file when labelled.
    var labels: [UInt16]?
    /// Files passed over because `accept` refused their names.
    var strayFiles: Int

    /// Lists `root`: class folders or a flat folder, never both. A class folder's files are the
    /// accepted files below it at any depth (its first-level folder gives a file its class), sorted
    /// bytewise by their path. With `knownClasses` (a test root), the layout must match and the
    /// labels index the known class names.
    /// - Parameters:
    ///   - accept: the file names read (others are counted in `strayFiles`); `kind` names them in errors.
    init(root: String, knownClasses: [String]?? = .none, accept: (String) -> Bool, kind: String) throws {
        var walk = FolderWalk(root: root)
        let top = try walk.enter("")
        let accepted = top.files.filter(accept)
        var strays = top.files.count - accepted.count
        if !top.directories.isEmpty && !accepted.isEmpty {
            throw DataError(.unsupported, root,
                "holds both \(kind) (\(accepted[0])) and class folders (\(top.directories[0])/): use class folders, or a flat folder of \(kind)")
        }
        if top.directories.isEmpty {
            guard !accepted.isEmpty else { throw DataError(.emptyFolder, root, "no \(kind) and no class folders") }
            if case .some(.some) = knownClasses {
                throw DataError(.invalidArgument, root,
                    "is a flat folder of \(kind), but the training root has class folders")
            }
            self.labelNames = nil
            self.files = accepted
            self.labels = nil
            self.strayFiles = strays
            return
        }
        let names = top.directories
        if case .some(.none) = knownClasses {
            throw DataError(.invalidArgument, root, "has class folders, but the training root is a flat folder")
        }
        let labelNames: [String]
        if case .some(.some(let known)) = knownClasses {
            labelNames = known
        } else {
            labelNames = names
            guard names.count <= Int(UInt16.max) + 1 else {
                throw DataError(.tooLarge, root, "has \(names.count) class folders, more than 65536")
            }
        }
        var index = [String: Int]()
        for (i, name) in labelNames.enumerated() { index[name] = i }
        var files = [String]()
        var labels = [UInt16]()
        for name in names {
            let folder = FileIO.join(root, name)
            guard let label = index[name] else {
                throw DataError(.labelOutOfRange, folder,
                    "class folder \(name) is not among the \(labelNames.count) training classes (\(labelNames.prefix(10).joined(separator: ", "))\(labelNames.count > 10 ? ", ..." : ""))")
            }
            let classFiles = try walk.files(below: name, accept: accept, strays: &strays)
            guard !classFiles.isEmpty else {
                throw DataError(.emptyFolder, folder, "class folder \(name) holds no \(kind), at any depth")
            }
            files += classFiles
            labels += repeatElement(UInt16(label), count: classFiles.count)
        }
        self.labelNames = labelNames
        self.files = files
        self.labels = labels
        self.strayFiles = strays
    }

    // MARK: Train/test split

    /// Where a file falls in [0, 1) for the split: the first 8 bytes of the SHA-256 of its path
    /// relative to the root (UTF-8, `/`-separated), big-endian, top 53 bits divided by 2^53.
    public static func testScore(_ relativePath: String) -> Double {
        var hasher = SHA256()
        hasher.update(Array(relativePath.utf8))
        let digest = hasher.finalize()
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return Double(value >> 11) / Double(UInt64(1) << 53)
    }

    /// Whether the file at `relativePath` falls under `testFraction` by its own score (the rule of
    /// `testFlags` but for its one exception per class).
    public static func isTest(_ relativePath: String, testFraction: Double) -> Bool {
        testScore(relativePath) < testFraction
    }

    /// Which of the files go to the test set for `testFraction`: those whose `testScore`
    /// is below it, and, with a fraction above 0, in each class (the whole folder when flat) of
    /// at least 2 files none of which is below it, the file with the smallest score (the first in
    /// file order on a tie). Adding files to a class moves no file but that one.
    func testFlags(testFraction: Double) -> [Bool] {
        let scores = files.map(Self.testScore)
        var flags = scores.map { $0 < testFraction }
        guard testFraction > 0 else { return flags }
        var counts = [UInt16: Int](), lowest = [UInt16: Int](), held = Set<UInt16>()
        for i in scores.indices {
            let group = labels?[i] ?? 0
            counts[group, default: 0] += 1
            if flags[i] { held.insert(group) }
            if lowest[group].map({ scores[i] < scores[$0] }) ?? true { lowest[group] = i }
        }
        for (group, i) in lowest where counts[group]! >= 2 && !held.contains(group) { flags[i] = true }
        return flags
    }
}
