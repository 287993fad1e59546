// One image file to the pixels a shard stores: PNG or JPEG told apart by their first bytes, decoded
// to gray or RGB (upright, transparency over the background), then made the target size. JPEGs
// that will be shrunk a lot are decoded at a reduced DCT scale first (see `reduction`).
import VAECore

/// What every image of an `images` ingest is made: its color mode and, optionally, its size.
public struct ImagePreparation: Equatable, Sendable {
    public var color: ColorMode
    /// nil: keep each image's size (then every image must have the first one's).
    public var resize: ResizeRule?
    /// Shown where a PNG is transparent, and (through `resize`) around a padded image.
    public var background: RGBColor
    /// Allow JPEG decoding at 1/2, 1/4 or 1/8 when the image will be shrunk at least that much.
    public var reducedDecoding: Bool

    /// `background` also becomes `resize`'s background: one color for transparency and padding.
    public init(color: ColorMode = .gray, resize: ResizeRule? = nil, background: RGBColor = .black, reducedDecoding: Bool = true) {
        self.color = color
        self.resize = resize
        self.resize?.background = background
        self.background = background
        self.reducedDecoding = reducedDecoding
    }

    /// The shape of the prepared images, when the rule fixes it.
    public var shape: ImageShape? {
        resize.map { ImageShape(height: $0.height, width: $0.width, channels: color.channels) }
    }

    /// Decodes one file's bytes (PNG or JPEG, by signature) and applies the rule.
    /// - Parameter times: where the decoding and resizing time goes, if anywhere.
    public func prepare(_ bytes: UnsafeRawBufferPointer, path: String, times: IngestPhaseTimes? = nil) throws -> PixelImage {
        let times = times ?? IngestPhaseTimes.ignored
        var image: PixelImage
        var reduced = (d: 1, width: 0, height: 0)
        if PNGCodec.isPNG(bytes) {
            image = try times.measure(.decode) { try PNGCodec.decode(bytes, path: path, mode: color, background: background) }
        } else if JPEGCodec.isJPEG(bytes) {
            image = try times.measure(.decode) {
                try JPEGCodec.decode(bytes, path: path, mode: color) { header in
                    reduced = (reduction(header), header.orientedWidth, header.orientedHeight)
                    return reduced.d
                }
            }
        } else {
            let head = bytes.prefix(8).map { (byte: UInt8) -> String in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }
            throw DataError(.unsupported, path,
                "not a PNG or JPEG file (starts with \(head.isEmpty ? "nothing" : head.joined(separator: " ")))")
        }
        guard let resize else { return image }
        return times.measure(.resize) {
            reduced.d > 1
                ? Resampler.resize(image, resize, reduction: reduced.d, fullWidth: reduced.width, fullHeight: reduced.height)
                : Resampler.resize(image, resize)
        }
    }

    /// The JPEG reduction: the largest d of 8, 4, 2 such that the region the fit uses, decoded at
    /// 1/d, is still at least as large as its target along both axes (so the box filter still
    /// shrinks); 1 without a size or with `reducedDecoding` off. Computed on the upright size.
    public func reduction(_ header: JPEGCodec.Header) -> Int {
        guard reducedDecoding, let resize else { return 1 }
        let p = Resampler.placement(width: header.orientedWidth, height: header.orientedHeight, rule: resize)
        for d in [8, 4, 2] where p.sourceWidth >= p.targetWidth * d && p.sourceHeight >= p.targetHeight * d {
            return d
        }
        return 1
    }
}
