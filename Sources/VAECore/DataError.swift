// The one error type of the data layer: every failure names the file it concerns and says,
// in one line, what is wrong with it.

/// A failure reading or writing a file of the pipeline.
///
/// `description` is the one line an executable prints: `path: detail`.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, for code that reacts to it (and for tests).
    public enum Kind: String, Sendable {
        case missingFile, emptyFile, truncated, badMagic, unsupported, sizeMismatch, countMismatch
        case labelOutOfRange, notPNG, tooLarge, mixedSizes, emptyFolder, checksumMismatch
        case corrupt, unsafePath, alreadyExists, io, invalidArgument
    }

    public let kind: Kind
    public let path: String
    public let detail: String

    public init(_ kind: Kind, _ path: String, _ detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    public var description: String { "\(path): \(detail)" }
}
