// provenance.json, which the pipeline writes last into every stage's artifact (docs/FORMATS.md,
// "Pipeline artifacts"): what ran, on what, with which tool, when.
import VAECore

/// The provenance of one pipeline stage's artifact.
public struct StageProvenance: Codable, Equatable, Sendable {
    public var stage: String
    public var artifact: String
    public var id: String
    public var command: [String]
    public var parameters: String
    public var toolVersion: String
    public var gitCommit: String?
    public var inputArtifact: String?
    public var inputId: String?
    public var inputChecksum: String?
    public var resumed: Bool
    /// UTC, ISO 8601.
    public var started: String
    public var ended: String

    /// Reads `directory/provenance.json`. - Throws: `DataError` naming the file.
    public static func read(directory: String) throws -> StageProvenance {
        let path = FileIO.join(directory, "provenance.json")
        return try JSONCoding.decode(StageProvenance.self, from: try FileIO.read(path), path: path)
    }
}
