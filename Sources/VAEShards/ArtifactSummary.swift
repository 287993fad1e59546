// What `vae-ingest info` prints: counts per split and class, image size, shards and bytes, and
// where the data came from; as text for people or JSON for scripts.
import VAECore

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

    /// One class's examples in each split.
    public struct ClassCount: Codable, Equatable, Sendable {
        public var label: Int
        public var name: String
        public var train: Int
        public var test: Int

        public init(label: Int, name: String, train: Int, test: Int) {
            self.label = label
            self.name = name
            self.train = train
            self.test = test
        }
    }

    public var directory: String
    public var identity: String
    public var image: ImageShape
    public var labelNames: [String]?
    public var train: SplitSummary
    public var test: SplitSummary
    /// Every class in label order with its count in each split; nil for unlabelled data.
    public var classCounts: [ClassCount]?
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
        if let names = manifest.labelNames {
            let counts = { (split: Split, label: Int) in manifest.split(split).classCounts?[label] ?? 0 }
            classCounts = names.enumerated().map {
                ClassCount(label: $0.offset, name: $0.element, train: counts(.train, $0.offset), test: counts(.test, $0.offset))
            }
        }
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
        }
        if let classCounts { lines += classTable(classCounts) } else { lines.append("labels    none (unlabelled data)") }
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

    /// The classes as a table, one row each, numbers right-aligned, names last:
    ///
    ///     classes   label  train  test  name
    ///                   0     14     1  cat
    private func classTable(_ classes: [ClassCount]) -> [String] {
        let columns = [("label", classes.map(\.label)), ("train", classes.map(\.train)), ("test", classes.map(\.test))]
        let widths = columns.map { header, values in max(header.count, values.map { String($0).count }.max() ?? 0) }
        func row(_ cells: [String], _ name: String) -> String {
            zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ") + "  " + name
        }
        return ["classes   " + row(columns.map(\.0), "name")]
            + classes.map { "          " + row([String($0.label), String($0.train), String($0.test)], $0.name) }
    }

    private func formatRatio(_ value: Double) -> String {
        let scaled = Int((value * 100).rounded())
        return "\(scaled / 100).\(scaled % 100 < 10 ? "0" : "")\(scaled % 100)"
    }
}
