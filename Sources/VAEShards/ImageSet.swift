// Decoded input images, the common currency between the readers (IDX, PNG folders) and the
// shard writer.

/// Equal-size 8-bit grayscale images with optional labels.
public struct ImageSet: Equatable, Sendable {
    public var height: Int
    public var width: Int
    /// count × height × width bytes, row-major, one image after another; 0 is black.
    public var pixels: [UInt8]
    /// One label per image (an index into the label names), or nil for unlabelled data.
    public var labels: [UInt16]?

    public init(height: Int, width: Int, pixels: [UInt8], labels: [UInt16]?) {
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    public var pixelsPerImage: Int { height * width }
    public var count: Int { pixelsPerImage == 0 ? 0 : pixels.count / pixelsPerImage }
}
