// The model's own error: a configuration or an argument the model cannot work with. Problems with
// checkpoint files are reported as VAECore's `DataError`, which names the file.

/// A model configuration or argument that cannot be used; `description` is one line.
public struct ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case invalidConfig, invalidArgument, mismatch
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}
