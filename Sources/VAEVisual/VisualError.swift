// The error of this library: a request that cannot be drawn or embedded (a bad option value, a
// checkpoint that does not fit the data, a non-finite code). Problems with files are `DataError`s,
// which name the file; problems with a model are the model's own errors.

/// An option or a combination of inputs that cannot be used; `description` is one line.
public struct VisualError: Error, CustomStringConvertible, Equatable, Sendable {
    public let detail: String

    public init(_ detail: String) { self.detail = detail }

    public var description: String { detail }
}
