// What `vae-ingest info` prints: counts per split and class, image size, shards and bytes, and
// where the data came from; as text for people or JSON for scripts.

/// A summary of a shard artifact, computed from its manifest.
public struct ArtifactSummary: Codable, Equatable, Sendable {
    public struct SplitSummary: Codable, Equatable, Sendable {
        public var count: Int
        public var shards: Int
        public var fileBytes: Int
        public var rawBytes: Int
        /// Examples per label name; nil for unlabelled data.
        public var classes: [String: Int]?
    }

    public var directory: String
    public var identity: String
    public var image: ImageShape
    public var labelNames: [String]?
    public var train: SplitSummary
    public var test: SplitSummary
    public var source: SourceInfo
    public var tool: ToolInfo
    public var parameters: IngestParameters
    /// Image folders: files left out as bad (`--skip-bad`), and files passed over for their names.
    public var skipped: Int?
    public var strayFiles: Int?

    public init(_ dataset: ShardDataset) {
        let manifest = dataset.manifest
        func summary(_ split: Split) -> SplitSummary {
            let info = manifest.split(split)
            var classes: [String: Int]?
            if let names = manifest.labelNames, let counts = info.classCounts {
                classes = Dictionary(uniqueKeysWithValues: zip(names, counts))
            }
            return SplitSummary(
                count: info.count, shards: info.shards.count, fileBytes: info.shards.reduce(0) { $0 + $1.fileBytes },
                rawBytes: info.shards.reduce(0) { $0 + $1.rawBytes }, classes: classes)
        }
        directory = dataset.directory
        identity = dataset.identity
        image = manifest.image
        labelNames = manifest.labelNames
        train = summary(.train)
        test = summary(.test)
        source = manifest.source
        tool = manifest.tool
        parameters = manifest.parameters
        skipped = manifest.skipped?.count
        strayFiles = manifest.strayFiles
    }

    /// Lines for people.
    public var text: [String] {
        var lines = [
            "artifact  \(directory)",
            "identity  \(identity)",
            "images    \(image.width)x\(image.height), \(image.channels) channel(s), 8-bit",
        ]
        for (name, split) in [("train", train), ("test", test)] {
            let ratio = split.fileBytes > 0 ? Double(split.rawBytes) / Double(split.fileBytes) : 0
            lines.append("\(name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(split.count) examples in \(split.shards) shard(s), \(split.fileBytes) bytes compressed, \(split.rawBytes) raw (\(formatRatio(ratio))x)")
            if let names = labelNames, let classes = split.classes {
                lines.append("          " + names.map { "\($0): \(classes[$0] ?? 0)" }.joined(separator: ", "))
            }
        }
        if labelNames == nil { lines.append("labels    none (unlabelled data)") }
        lines.append("source    \(source.kind)")
        for input in source.inputs {
            lines.append("          \(input.role) \(input.path) (\(input.bytes) bytes, sha256 \(input.sha256))")
        }
        if let skipped, let strayFiles {
            lines.append("          \(skipped) bad file(s) skipped, \(strayFiles) other file(s) passed over by name")
        }
        if let color = parameters.color {
            lines.append("prepared  \(color.rawValue)" + (parameters.size.map { ", \($0) by \(parameters.fit?.rawValue ?? "crop")" } ?? ", own size")
                + (parameters.background.map { ", background \($0)" } ?? ""))
        }
        lines.append("made by   \(tool.name) \(tool.version), shard size \(parameters.shardSize), zlib level \(parameters.level) (\(parameters.strategy.rawValue))"
            + (parameters.testFraction.map { ", test fraction \($0)" } ?? ""))
        return lines
    }

    private func formatRatio(_ value: Double) -> String {
        let scaled = Int((value * 100).rounded())
        return "\(scaled / 100).\(scaled % 100 < 10 ? "0" : "")\(scaled % 100)"
    }
}
