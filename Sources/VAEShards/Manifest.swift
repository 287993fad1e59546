// The manifest of a shard artifact: what the shards hold, how to check them, and where the data
// came from. Written as JSON with sorted keys, so the same ingest gives the same bytes.
import Foundation
import VAECore
import VAEImages

/// The two splits an artifact holds.
public enum Split: String, CaseIterable, Codable, Sendable {
    case train, test
}

/// `manifest.json` of a shard artifact (docs/FORMATS.md specifies every field).
public struct Manifest: Codable, Equatable, Sendable {
    public static let formatName = "vae-shards"
    public static let currentVersion = 1
    public static let fileName = "manifest.json"

    public var format: String
    public var formatVersion: Int
    public var image: ImageShape
    /// Label names, indexed by label; nil for unlabelled data.
    public var labelNames: [String]?
    public var train: SplitInfo
    public var test: SplitInfo
    public var source: SourceInfo
    public var tool: ToolInfo
    public var parameters: IngestParameters
    /// Image folders: the files left out by `--skip-bad`, with the reason (absent otherwise).
    public var skipped: [SkippedFile]? = nil
    /// Image folders: how many files were passed over for their names (absent otherwise).
    public var strayFiles: Int? = nil

    public func split(_ split: Split) -> SplitInfo {
        switch split {
        case .train: train
        case .test: test
        }
    }

    /// The manifest's bytes as written: pretty JSON with sorted keys and a final newline.
    public func encoded() throws -> [UInt8] {
        try JSONCoding.encode(self)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> Manifest {
        try JSONCoding.decode(Manifest.self, from: bytes, path: path)
    }
}

/// A file an ingest left out (`--skip-bad`), relative to its folder, and why.
public struct SkippedFile: Codable, Equatable, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

public struct SplitInfo: Codable, Equatable, Sendable {
    public var count: Int
    /// Examples per label, indexed by label; nil for unlabelled data.
    public var classCounts: [Int]?
    public var shards: [ShardInfo]
}

/// One shard file as the manifest lists it.
public struct ShardInfo: Codable, Equatable, Sendable {
    /// A plain file name inside the artifact directory.
    public var file: String
    public var records: Int
    /// The index, within its split, of the shard's first record.
    public var firstRecord: Int
    /// Size of the uncompressed payload.
    public var rawBytes: Int
    /// Size of the whole shard file.
    public var fileBytes: Int
    /// CRC-32 of the uncompressed payload (also in the shard's header).
    public var payloadCrc32: UInt32
    /// CRC-32 of the whole shard file.
    public var fileCrc32: UInt32
}

public struct SourceInfo: Codable, Equatable, Sendable {
    /// "idx" or "png".
    public var kind: String
    public var inputs: [InputFile]

    public init(kind: String, inputs: [InputFile]) {
        self.kind = kind
        self.inputs = inputs
    }
}

/// An input the artifact was made from, with its SHA-256 (for a PNG folder: of the sorted file
/// list and contents, see docs/FORMATS.md).
public struct InputFile: Codable, Equatable, Sendable {
    public var role: String
    public var path: String
    public var bytes: Int
    public var sha256: String

    public init(role: String, path: String, bytes: Int, sha256: String) {
        self.role = role
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
    }
}

public struct ToolInfo: Codable, Equatable, Sendable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

public struct IngestParameters: Codable, Equatable, Sendable {
    public var shardSize: Int
    public var level: Int
    public var strategy: Zlib.Strategy
    public var testFraction: Double?
    /// Image folders: the size every image was made (`"64x64"`: width x height), absent to keep
    /// the images' own size.
    public var size: String? = nil
    /// Image folders, with `size`: how the images were fitted.
    public var fit: Fit? = nil
    /// Image folders: the color mode kept.
    public var color: ColorMode? = nil
    /// Image folders: the background color for transparency and padding.
    public var background: RGBColor? = nil

    public init(shardSize: Int = 4096, level: Int = 6, strategy: Zlib.Strategy = .rle, testFraction: Double? = nil) {
        self.strategy = strategy
        self.shardSize = shardSize
        self.level = level
        self.testFraction = testFraction
    }
}
