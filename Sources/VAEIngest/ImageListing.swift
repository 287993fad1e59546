// A folder of PNG files as a data set. Either class folders (`root/<class>/<file>.png`: the label
// of an image is the index of its folder's name among the class names sorted bytewise) or a flat
// folder of .png files (unlabelled); a class folder's files may lie at any depth below it
// (`FolderWalk`). Files are read in bytewise path order, so the same folder always gives the same
// set; images are decoded one at a time straight into the growing pixel buffer, which is reserved
// once the first header gives the size. A train/test split is decided per file from a hash of its
// relative path, so a file's side never depends on the other files, but for one file per class
// that has no other test file.
// docs/INPUTS.md lists the rules and the errors.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum PNGFolder {
    /// A loaded folder: the images, the label names (nil for a flat folder), and the file of each
    /// image relative to the root (`class/name.png` or `name.png`), in image order.
    public struct Contents: Equatable, Sendable {
        public var images: ImageSet
        public var labelNames: [String]?
        public var files: [String]

        public init(images: ImageSet, labelNames: [String]?, files: [String]) {
            self.images = images
            self.labelNames = labelNames
            self.files = files
        }
    }

    /// A training set and a test set with the same label names and image size.
    public struct Split: Equatable, Sendable {
        public var train: Contents
        public var test: Contents
    }

    /// Largest PNG file read (1 GiB).
    public static let maxFileBytes = 1 << 30

    /// Loads every PNG under `root` (class folders or a flat folder), converted to gray by the
    /// rule of `PNGCodec.decodeGray`.
    public static func load(root: String, background: UInt8 = 0) throws -> Contents {
        let listing = try list(root: root, knownClasses: nil)
        return try decode(listing, root: root, background: background).train
    }

    /// Loads `root` and splits it by `testFlags`: a file goes to the test set when `testScore` of
    /// its relative path is below `testFraction`, and every class of 2 files or more gets at least
    /// one (0 keeps everything for training, 1 puts everything in the test set).
    public static func load(root: String, testFraction: Double, background: UInt8 = 0) throws -> Split {
        guard testFraction >= 0 && testFraction <= 1 else {
            throw DataError(.invalidArgument, root, "test fraction \(testFraction) must be between 0 and 1")
        }
        let listing = try list(root: root, knownClasses: nil)
        return try decode(listing, root: root, background: background,
                          testFlags: testFlags(listing, testFraction: testFraction))
    }

    /// Loads a training root and a separate test root. The test root must have the same layout
    /// (class folders or flat) and its images the training images' size; its labels index the
    /// training root's class names, and a class folder the training root lacks is an error (a
    /// training class missing from the test root is fine).
    public static func load(trainRoot: String, testRoot: String, background: UInt8 = 0) throws -> Split {
        let train = try load(root: trainRoot, background: background)
        let listing = try list(root: testRoot, knownClasses: train.labelNames)
        let reference = SizeReference(width: train.images.width, height: train.images.height,
                                      file: FileIO.join(trainRoot, train.files[0]))
        let test = try decode(listing, root: testRoot, background: background, reference: reference).train
        return Split(train: train, test: test)
    }

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

    /// Which of `listing`'s files go to the test set for `testFraction`: those whose `testScore`
    /// is below it, and, with a fraction above 0, in each class (the whole folder when flat) of
    /// at least 2 files none of which is below it, the file with the smallest score (the first in
    /// file order on a tie). Adding files to a class moves no file but that one.
    static func testFlags(_ listing: Listing, testFraction: Double) -> [Bool] {
        let scores = listing.files.map(testScore)
        var flags = scores.map { $0 < testFraction }
        guard testFraction > 0 else { return flags }
        var files = [UInt16: Int](), lowest = [UInt16: Int](), held = Set<UInt16>()
        for i in scores.indices {
            let group = listing.labels?[i] ?? 0
            files[group, default: 0] += 1
            if flags[i] { held.insert(group) }
            if lowest[group].map({ scores[i] < scores[$0] }) ?? true { lowest[group] = i }
        }
        for (group, i) in lowest where files[group]! >= 2 && !held.contains(group) { flags[i] = true }
        return flags
    }

    // MARK: Listing

    struct Listing {
        var labelNames: [String]?
        /// Relative paths, sorted: by class, then by name.
        var files: [String]
        /// One per file when labelled.
        var labels: [UInt16]?
        /// Files passed over because `accept` refused their names.
        var strayFiles = 0
    }

    /// Lists `root`: class folders or a flat folder, never both. A class folder's files are the
    /// accepted files below it at any depth (its first-level folder gives a file its class), sorted
    /// bytewise by their path. With `knownClasses` (a test root), the layout must match and the
    /// labels index the known class names.
    /// - Parameters:
    ///   - accept: the file names read (others are counted in `strayFiles`); `kind` names them in errors.
    static func list(
        root: String, knownClasses: [String]?? = .none, accept: (String) -> Bool = isPNGName, kind: String = ".png files"
    ) throws -> Listing {
        var walk = FolderWalk(root: root)
        let top = try walk.enter("")
        let pngs = top.files.filter(accept)
        var strays = top.files.count - pngs.count
        if !top.directories.isEmpty && !pngs.isEmpty {
            throw DataError(.unsupported, root,
                "holds both \(kind) (\(pngs[0])) and class folders (\(top.directories[0])/): use class folders, or a flat folder of \(kind)")
        }
        if top.directories.isEmpty {
            guard !pngs.isEmpty else { throw DataError(.emptyFolder, root, "no \(kind) and no class folders") }
            if case .some(.some) = knownClasses {
                throw DataError(.invalidArgument, root,
                    "is a flat folder of \(kind), but the training root has class folders")
            }
            return Listing(labelNames: nil, files: pngs, labels: nil, strayFiles: strays)
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
        return Listing(labelNames: labelNames, files: files, labels: labels, strayFiles: strays)
    }

    static func isPNGName(_ name: String) -> Bool {
        name.utf8.count > 4 && name.lowercased().hasSuffix(".png")
    }

    // MARK: Decoding

    /// The size every image must have, and the file that set it.
    struct SizeReference {
        var width: Int
        var height: Int
        var file: String
    }

    /// Decodes the listed files into a training and a test set (`testFlags`: one per file, true
    /// for the test set; nil puts all in the training set).
    static func decode(
        _ listing: Listing, root: String, background: UInt8, reference initial: SizeReference? = nil,
        testFlags flags: [Bool]? = nil
    ) throws -> Split {
        let testFlags = flags ?? [Bool](repeating: false, count: listing.files.count)
        let testCount = testFlags.reduce(0) { $0 + ($1 ? 1 : 0) }
        var train = Builder(), test = Builder()
        var reference = initial
        if let reference { train.reserve(listing.files.count - testCount, reference); test.reserve(testCount, reference) }
        var buffer = [UInt8]()
        var scratch = [UInt8]()
        for (i, file) in listing.files.enumerated() {
            let path = FileIO.join(root, file)
            let length = try read(path, into: &buffer)
            let label = listing.labels?[i]
            try buffer.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                let accept: (Int, Int) throws -> Void = { width, height in
                    if let reference {
                        guard width == reference.width && height == reference.height else {
                            throw DataError(.mixedSizes, path,
                                "image is \(width)x\(height) (width x height) but the first image, \(reference.file), is \(reference.width)x\(reference.height)")
                        }
                    } else {
                        reference = SizeReference(width: width, height: height, file: path)
                    }
                }
                let wasFirst = reference == nil
                if testFlags[i] {
                    _ = try PNGCodec.decodeGray(bytes, path: path, background: background,
                                                appendingTo: &test.pixels, scratch: &scratch, accept: accept)
                    test.add(file, label)
                } else {
                    _ = try PNGCodec.decodeGray(bytes, path: path, background: background,
                                                appendingTo: &train.pixels, scratch: &scratch, accept: accept)
                    train.add(file, label)
                }
                // The first header gave the size: room for all images at once (the buffers are
                // busy during decoding, so this waits until the first image is in).
                if wasFirst, let first = reference {
                    train.reserve(listing.files.count - testCount, first)
                    test.reserve(testCount, first)
                }
            }
        }
        let size = reference ?? SizeReference(width: 0, height: 0, file: "")
        return Split(train: train.contents(size, labelNames: listing.labelNames),
                     test: test.contents(size, labelNames: listing.labelNames))
    }

    struct Builder {
        var pixels = [UInt8]()
        var labels = [UInt16]()
        var files = [String]()

        mutating func reserve(_ count: Int, _ size: SizeReference) {
            pixels.reserveCapacity(count * size.width * size.height)
            labels.reserveCapacity(count)
            files.reserveCapacity(count)
        }

        mutating func add(_ file: String, _ label: UInt16?) {
            files.append(file)
            if let label { labels.append(label) }
        }

        func contents(_ size: SizeReference, labelNames: [String]?) -> Contents {
            Contents(images: ImageSet(height: size.height, width: size.width, pixels: pixels,
                                      labels: labelNames == nil ? nil : labels),
                     labelNames: labelNames, files: files)
        }
    }

    /// Reads a whole file into `buffer` (grown as needed, reused between files); returns its length.
    static func read(_ path: String, into buffer: inout [UInt8]) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw DataError(.missingFile, path, "no such file") }
            throw DataError(.io, path, "cannot open for reading: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DataError(.io, path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw DataError(.emptyFile, path, "file is empty") }
        guard size <= maxFileBytes else {
            throw DataError(.tooLarge, path, "file is \(size) bytes, over the limit of \(maxFileBytes) for a PNG")
        }
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        var length = 0
        try buffer.withUnsafeMutableBytes { out in
            while length < size {
                let n = systemRead(fd, out.baseAddress! + length, size - length)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(.io, path, "read failed: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }  // the file shrank while being read
                length += n
            }
        }
        return length
    }
}

/// POSIX read(2), named apart from `PNGFolder.read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
