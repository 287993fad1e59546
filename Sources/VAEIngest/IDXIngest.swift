// IDX files named on vae-ingest's command line into a shard artifact, read a piece at a time
// (raw or gzipped), with the identity (SHA-256) of every input. The format and its checks:
// IDX.swift. Image folders: `ImageFolder`; synthetic shapes: `SyntheticShapes.ingest`.
import Foundation
import VAECluster
import VAECore
import VAEShards

public enum IDXIngest {
    /// IDX inputs: train images with optional labels, and an optional test pair.
    public struct Paths: Sendable {
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

    /// Reads IDX files a piece at a time straight into a shard artifact at `out` (the same
    /// checks and the same bytes as reading them whole with `IDX` and writing the images with
    /// `ArtifactWriter.write`; labels, one byte per image, are read whole). Memory stays a few
    /// pieces whatever the file's size.
    public static func ingest(_ paths: Paths, parameters: IngestParameters, to out: String, force: Bool) throws -> Manifest {
        try ingest(paths, parameters: parameters, to: out, force: force, ranks: Cluster.single)!  // one rank: rank 0
    }

    /// `ingest` shared among `ranks`: every rank reads the files whole (reading is cheap beside
    /// deflating) and compresses the shards it owns; only rank 0 hashes the inputs. Rank 0
    /// returns the manifest, the other ranks nil.
    public static func ingest(_ paths: Paths, parameters: IngestParameters, to out: String, force: Bool,
                              ranks: any Ranks) throws -> Manifest? {
        if (paths.testImages == nil) != (paths.testLabels == nil) && paths.labels != nil {
            throw DataError(.invalidArgument, paths.testImages ?? paths.testLabels!, "--test-images and --test-labels go together when the data is labelled")
        }
        if paths.labels == nil, let testLabels = paths.testLabels {
            throw DataError(.invalidArgument, testLabels, "test labels given without train labels")
        }
        guard (1...Int(UInt16.max) + 1).contains(paths.classes) else {
            throw DataError(.invalidArgument, paths.labels ?? paths.images, "class count \(paths.classes) must be between 1 and 65536")
        }
        var inputs = [try describe(ranks, "train-images", paths.images)]
        var trainLabels: [UInt8]?
        if let path = paths.labels {
            inputs.append(try describe(ranks, "train-labels", path))
            trainLabels = try IDX.readLabels(path)
        }
        if let names = paths.labelNames, let labels = trainLabels {
            let present = Int(labels.max() ?? 0) + 1
            if names.count != present {
                throw DataError(.invalidArgument, paths.labels!, "--label-names gives \(names.count) names, the labels hold \(present) classes (0 to \(present - 1))")
            }
        }
        let classes = paths.classes
        var testLabels: [UInt8]?
        if let path = paths.testImages {
            inputs.append(try describe(ranks, "test-images", path))
            if let labels = paths.testLabels {
                inputs.append(try describe(ranks, "test-labels", labels))
                testLabels = try IDX.readLabels(labels)
            }
        }
        // Open and check every header (and label count) before writing anything.
        let train = try IDXImages(paths.images)
        let test = try paths.testImages.map { try IDXImages($0) }
        if let test, test.shape != train.shape {
            throw DataError(.mixedSizes, out, "test images are \(test.shape.width)x\(test.shape.height), train images \(train.shape.width)x\(train.shape.height)")
        }
        for (images, labels, labelsPath) in [(train, trainLabels, paths.labels), (test, testLabels, paths.testLabels)] {
            guard let images, let labels, let labelsPath else { continue }
            guard labels.count == images.count else {
                throw DataError(.countMismatch, labelsPath, "holds \(labels.count) labels but \(images.path) holds \(images.count) images")
            }
            if let index = labels.firstIndex(where: { Int($0) >= classes }) {
                throw DataError(.labelOutOfRange, labelsPath,
                    "label \(labels[index]) of example \(index) is out of range: there are \(classes) label names (0...\(classes - 1))")
            }
        }
        let stream = try ArtifactStream(out: out, force: force, parameters: parameters, ranks: ranks)
        do {
            try stream.setShape(train.shape)
            for (split, images, labels) in [(Split.train, train, trainLabels), (.test, test, testLabels)] {
                guard let images else { continue }
                let wide = labels?.map { UInt16($0) }
                let piece = max(1, ArtifactStream.pieceBytes / images.shape.pixels)
                var done = 0
                while done < images.count {
                    let n = min(piece, images.count - done)
                    let pixels = try images.read(n)
                    try pixels.withUnsafeBytes { raw in
                        if let wide {
                            try wide.withUnsafeBufferPointer {
                                try stream.append(split, pixels: raw, labels: UnsafeBufferPointer(rebasing: $0[done..<done + n]))
                            }
                        } else {
                            try stream.append(split, pixels: raw, labels: nil)
                        }
                    }
                    done += n
                }
                try images.checkEnd()
            }
            let labelNames = trainLabels.map { _ in paths.labelNames ?? (0..<paths.classes).map(String.init) }
            return try stream.finish(labelNames: labelNames, source: SourceInfo(kind: "idx", inputs: inputs))
        } catch {
            stream.abandon()
            throw error
        }
    }

    /// An idx3 images file opened for reading in pieces.
    final class IDXImages {
        let path: String
        let shape: ImageShape
        let count: Int
        private let source: ByteSource

        init(_ path: String) throws {
            self.path = path
            source = try ByteSource(path, limit: IDX.gunzipLimit)
            let head = try source.read(16)
            // A gzip file's length is known only at its end: the header's claim stands until the
            // data runs short (`read`) or long (`checkEnd`).
            var claimed = 0
            if head.count == 16 {
                let dims = (0..<3).map { d in (0..<4).reduce(0) { $0 << 8 | Int(head[4 + 4 * d + $1]) } }
                let (product, overflow) = dims[0].multipliedReportingOverflow(by: dims[1] * dims[2])
                claimed = overflow ? 0 : product
            }
            let header = try IDX.parseHeader(head, path: path, dimensions: 3, what: "images (count x rows x columns)",
                                             dataLength: source.expectedSize.map { $0 - head.count } ?? claimed)
            count = header.dimensions[0]
            shape = ImageShape(height: header.dimensions[1], width: header.dimensions[2])
        }

        /// The next `n` images; the data ending early is an error.
        func read(_ n: Int) throws -> [UInt8] {
            let bytes = try source.read(n * shape.pixels)
            guard bytes.count == n * shape.pixels else {
                throw DataError(.sizeMismatch, path, "IDX header says \(count) x \(shape.height) x \(shape.width) bytes but the data ends early")
            }
            return bytes
        }

        /// Nothing may follow the last image.
        func checkEnd() throws {
            guard try source.read(1).isEmpty else {
                throw DataError(.sizeMismatch, path, "IDX header says \(count) x \(shape.height) x \(shape.width) bytes but more data follows")
            }
        }
    }

    /// A file's size and SHA-256, read in pieces (on rank 0 only: the other ranks write no
    /// manifest, and record the size alone).
    static func describe(_ ranks: any Ranks, _ role: String, _ path: String) throws -> InputFile {
        guard ranks.isRoot else { return InputFile(role: role, path: path, bytes: try FileIO.Reader(path).size, sha256: "") }
        var hasher = SHA256()
        let file = try FileIO.Reader(path)
        while true {
            let piece = try file.read(upTo: 1 << 20)
            if piece.isEmpty { break }
            piece.withUnsafeBytes { hasher.update($0) }
        }
        return InputFile(role: role, path: path, bytes: file.size, sha256: SHA256.hexString(hasher.finalize()))
    }
}
