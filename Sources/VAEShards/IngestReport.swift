// What an ingest of an image folder learned of its input beyond the records, for the manifest.

/// Extra facts about the input that the manifest records (image folders only).
public struct IngestReport: Equatable, Sendable {
    /// Files skipped because they could not be used (`--skip-bad`), in the order met.
    public var skipped: [SkippedFile]
    /// Files skipped because their names are not .png, .jpg or .jpeg.
    public var strayFiles: Int

    public init(skipped: [SkippedFile] = [], strayFiles: Int = 0) {
        self.skipped = skipped
        self.strayFiles = strayFiles
    }
}
