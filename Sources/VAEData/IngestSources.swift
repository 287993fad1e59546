// Turns the inputs named on vae-ingest's command line (IDX files or PNG folders) into an
// `IngestInput`: decoded images, labels, label names, and the identity (SHA-256) of every input.
import Foundation

public enum IngestSources {
    /// IDX inputs: train images with optional labels, and an optional test pair.
    public struct IDXPaths: Sendable {
        public var images: String
        public var labels: String?
        public var testImages: String?
        public var testLabels: String?
        /// Labels must be below this; they are named "0", "1", ... unless `labelNames` names them.
        public var classes: Int
        /// The classes' names in label order (`labelNames(_:)`); nil: "0", "1", ...
        public var labelNames: [String]?

        public init(images: String, labels: String?, testImages: String?, testLabels: String?, classes: Int = 10) {
            self.classes = classes
            self.images = images
            self.labels = labels
            self.testImages = testImages
            self.testLabels = testLabels
        }
    }

    /// Class names from `--label-names`: the lines of a file (one name each, blank lines ignored)
    /// when `argument` names one, else a comma-separated list. Names must be distinct and not empty.
    public static func labelNames(_ argument: String) throws -> [String] {
        let isFile = FileIO.exists(argument)
        let names: [String]
        if isFile {
            names = String(decoding: try FileIO.read(argument), as: UTF8.self)
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            names = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let source = isFile ? argument : "--label-names"
        if names.isEmpty || names.contains(where: \.isEmpty) {
            throw DataError(.invalidArgument, source, "class names must not be empty, got \(names)")
        }
        if Set(names).count != names.count {
            throw DataError(.invalidArgument, source, "class names must be distinct, got \(names)")
        }
        return names
    }

    /// Reads IDX files. Labels, where given, must be below `paths.classes` (10 for MNIST and
    /// Fashion-MNIST) and are named "0", "1", ...
    public static func idx(_ paths: IDXPaths) throws -> IngestInput {
        if (paths.testImages == nil) != (paths.testLabels == nil) && paths.labels != nil {
            throw DataError(.invalidArgument, paths.testImages ?? paths.testLabels!, "--test-images and --test-labels go together when the data is labelled")
        }
        if paths.labels == nil, let testLabels = paths.testLabels {
            throw DataError(.invalidArgument, testLabels, "test labels given without train labels")
        }
        var inputs = [try describe("train-images", paths.images)]
        let train = try IDX.readImages(paths.images)
        var trainLabels: [UInt8]?
        if let path = paths.labels {
            inputs.append(try describe("train-labels", path))
            trainLabels = try IDX.readLabels(path)
        }
        var test: ImageSet?
        var testLabels: [UInt8]?
        if let path = paths.testImages {
            inputs.append(try describe("test-images", path))
            test = try IDX.readImages(path)
            if let labels = paths.testLabels {
                inputs.append(try describe("test-labels", labels))
                testLabels = try IDX.readLabels(labels)
            }
        }
        let labelNames = trainLabels.map { _ in paths.labelNames ?? (0..<paths.classes).map(String.init) }
        if let names = paths.labelNames, let labels = trainLabels {
            let present = Int(labels.max() ?? 0) + 1
            if names.count != present {
                throw DataError(.invalidArgument, paths.labels!, "--label-names gives \(names.count) names, the labels hold \(present) classes (0 to \(present - 1))")
            }
        }
        let labelledTrain = try trainLabels.map {
            try IDX.labelled(train, labels: $0, classCount: labelNames!.count, imagesPath: paths.images, labelsPath: paths.labels!)
        } ?? train
        let labelledTest = try test.map { test in
            try testLabels.map {
                try IDX.labelled(test, labels: $0, classCount: labelNames!.count, imagesPath: paths.testImages!, labelsPath: paths.testLabels!)
            } ?? test
        }
        return IngestInput(train: labelledTrain, test: labelledTest, labelNames: labelNames, source: SourceInfo(kind: "idx", inputs: inputs))
    }

    /// PNG folders: `root` for training, and either `testRoot` or a `testFraction` of `root` held
    /// out for testing (chosen per file from a hash of its path, see docs/INPUTS.md).
    public static func png(root: String, testRoot: String?, testFraction: Double?) throws -> IngestInput {
        if let fraction = testFraction, !(0..<1).contains(fraction) {
            throw DataError(.invalidArgument, root, "--test-fraction must be in [0, 1), got \(fraction)")
        }
        let train: PNGFolder.Contents
        var test: PNGFolder.Contents?
        if let testRoot {
            let split = try PNGFolder.load(trainRoot: root, testRoot: testRoot)
            (train, test) = (split.train, split.test)
        } else if let testFraction, testFraction > 0 {
            let split = try PNGFolder.load(root: root, testFraction: testFraction)
            (train, test) = (split.train, split.test)
        } else {
            train = try PNGFolder.load(root: root)
        }
        var inputs = [try describeFolder("train-root", root, files: (train.files + (testRoot == nil ? test?.files ?? [] : [])).sorted())]
        if let testRoot, let test {
            inputs.append(try describeFolder("test-root", testRoot, files: test.files))
        }
        return IngestInput(
            train: train.images, test: test.flatMap { $0.images.count > 0 ? $0.images : nil },
            labelNames: train.labelNames, source: SourceInfo(kind: "png", inputs: inputs))
    }

    /// A file's size and SHA-256, read in pieces.
    static func describe(_ role: String, _ path: String) throws -> InputFile {
        var hasher = SHA256()
        let file = try FileIO.Reader(path)
        while true {
            let piece = try file.read(upTo: 1 << 20)
            if piece.isEmpty { break }
            piece.withUnsafeBytes { hasher.update($0) }
        }
        return InputFile(role: role, path: path, bytes: file.size, sha256: SHA256.hexString(hasher.finalize()))
    }

    /// A folder's identity: SHA-256 over each file's path relative to the folder, a NUL byte, the
    /// file's size as 8 bytes little-endian and its contents, in the order the files were read.
    static func describeFolder(_ role: String, _ root: String, files: [String]) throws -> InputFile {
        var hasher = SHA256()
        var total = 0
        for file in files {
            let bytes = try FileIO.read(FileIO.join(root, file))
            var header = Array(file.utf8) + [0]
            header.appendLittleEndian(UInt64(bytes.count))
            hasher.update(header)
            hasher.update(bytes)
            total += bytes.count
        }
        return InputFile(role: role, path: root, bytes: total, sha256: SHA256.hexString(hasher.finalize()))
    }
}
