// Writes a shard artifact from images held in memory (through `ArtifactStream`, which compresses
// on every core), into a hidden temporary directory beside the destination that is renamed into
// place only when everything is written. A failure or a kill leaves nothing under the final name.
import VAECore

/// What `ArtifactWriter.write` turns into a shard artifact.
public struct IngestInput: Sendable {
    public var train: ImageSet
    public var test: ImageSet?
    public var labelNames: [String]?
    public var source: SourceInfo

    public init(train: ImageSet, test: ImageSet?, labelNames: [String]?, source: SourceInfo) {
        self.train = train
        self.test = test
        self.labelNames = labelNames
        self.source = source
    }
}

public enum ArtifactWriter {
    /// The version recorded in manifests and provenance files.
    public static let toolVersion = PipelineVersion.current

    /// Writes `input` as a shard artifact at `out` and returns its manifest (through
    /// `ArtifactStream`, a piece at a time).
    /// - Parameter force: replace an existing non-empty `out` (only once the new artifact is complete).
    public static func write(
        _ input: IngestInput, parameters: IngestParameters, to out: String, force: Bool
    ) throws -> Manifest {
        try checkLabels(input)
        let shape = ImageShape(height: input.train.height, width: input.train.width)
        if let test = input.test, test.height != shape.height || test.width != shape.width {
            throw DataError(.mixedSizes, out, "test images are \(test.width)x\(test.height), train images \(shape.width)x\(shape.height)")
        }
        let stream = try ArtifactStream(out: out, force: force, parameters: parameters)
        do {
            try stream.setShape(shape)
            for (split, images) in [(Split.train, input.train), (.test, input.test)] {
                guard let images else { continue }
                let p = shape.pixels
                try images.pixels.withUnsafeBytes { pixels in
                    if let labels = images.labels {
                        try labels.withUnsafeBufferPointer { try stream.append(split, pixels: pixels, labels: $0) }
                    } else {
                        try stream.append(split, pixels: UnsafeRawBufferPointer(rebasing: pixels[0..<images.count * p]), labels: nil)
                    }
                }
            }
            return try stream.finish(labelNames: input.labelNames, source: input.source)!  // one rank: rank 0
        } catch {
            stream.abandon()
            throw error
        }
    }

    private static func checkLabels(_ input: IngestInput) throws {
        for (name, images) in [("train", input.train), ("test", input.test)] {
            guard let images else { continue }
            if images.count == 0 { throw DataError(.emptyFile, name, "the \(name) split holds no images") }
            guard let labels = images.labels else {
                if input.labelNames != nil { throw DataError(.invalidArgument, name, "\(name) images have no labels") }
                continue
            }
            guard let names = input.labelNames else {
                throw DataError(.invalidArgument, name, "\(name) labels given without label names")
            }
            guard labels.count == images.count else {
                throw DataError(.countMismatch, name, "\(images.count) \(name) images but \(labels.count) labels")
            }
            if let bad = labels.firstIndex(where: { Int($0) >= names.count }) {
                throw DataError(.labelOutOfRange, name, "label \(labels[bad]) of \(name) record \(bad) is out of range (\(names.count) classes)")
            }
        }
    }
}
