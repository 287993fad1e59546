// The limits every number read from a file is checked against before it is used in arithmetic or
// sizes an allocation, and the one overflow-checked product the readers share. A file that parses
// but claims more than these (an image side of 2^40, a shard of 2^62 records) is bad input: a
// `DataError` naming the file and the field, never a trap. Here: the image's; the shards' and the
// manifest's are in VAEShards (ShardLimits.swift), the checkpoint's in VAEModel
// (CheckpointLimits.swift). docs/FORMATS.md ("Limits") lists them all.

extension ImageShape {
    /// Largest height and largest width of an image (the PNG decoder's limit too).
    public static let maxSide = 16384
    /// Most channels per pixel.
    public static let maxChannels = 4

    /// Throws unless height and width are 1...`maxSide` and channels 1...`maxChannels`; then
    /// `pixels` (at most 2^30) cannot overflow. `field` names the shape in the message.
    public func checkLimits(path: String, field: String) throws {
        for (name, value, limit) in [("height", height, Self.maxSide), ("width", width, Self.maxSide),
                                     ("channels", channels, Self.maxChannels)] where !(1...limit).contains(value) {
            throw DataError(.corrupt, path, "\(field) \(name) is \(value), must be 1 to \(limit)")
        }
    }
}

/// The product of `factors` (each at least 0), or a `DataError` naming `path` and `field` if it
/// overflows or exceeds `limit`.
package func checkedProduct(_ factors: [Int], limit: Int, path: String, field: String) throws -> Int {
    var product = 1
    for factor in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        guard factor >= 0, !overflow, next <= limit else {
            throw DataError(.tooLarge, path,
                "\(field) is \(factors.map(String.init).joined(separator: " x ")), over the limit of \(limit)")
        }
        product = next
    }
    return product
}
