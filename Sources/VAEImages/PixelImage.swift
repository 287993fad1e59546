// Decoded 8-bit images of one (gray) or three (RGB) channels, and the two values users choose
// about them: the color mode kept in the shards and the background color shown where an image is
// transparent or padded.

/// An 8-bit image: `channels` samples per pixel (1 gray, 3 RGB interleaved), rows top first.
public struct PixelImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// height × width × channels bytes, row-major; within a pixel R, G, B.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The sample of channel `c` at column `x`, row `y`.
    public subscript(x: Int, y: Int, c: Int) -> UInt8 { pixels[(y * width + x) * channels + c] }
}

/// Which channels the shards keep.
public enum ColorMode: String, Codable, Sendable, CaseIterable {
    /// One channel: ITU-R BT.601 luma of the RGB samples (see `RGBColor.luma`).
    case gray
    /// Three channels, R, G, B interleaved.
    case rgb

    public var channels: Int { self == .gray ? 1 : 3 }
}

/// An 8-bit sRGB color, written `R,G,B` on the command line (`0,0,0` is black).
public struct RGBColor: Codable, Equatable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let black = RGBColor(red: 0, green: 0, blue: 0)

    /// A gray level `V`, meaning `V,V,V`.
    public init(gray: UInt8) { self.init(red: gray, green: gray, blue: gray) }

    /// Parses `R,G,B` (three integers 0-255) or a single gray level `V` (meaning `V,V,V`).
    public init?(_ text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { UInt8(String($0)) }
        guard parts.allSatisfy({ $0 != nil }) else { return nil }
        switch parts.count {
        case 1: self.init(red: parts[0]!, green: parts[0]!, blue: parts[0]!)
        case 3: self.init(red: parts[0]!, green: parts[1]!, blue: parts[2]!)
        default: return nil
        }
    }

    public var description: String { "\(red),\(green),\(blue)" }

    /// A literal gray level: `128` is `128,128,128`.
    public init(integerLiteral value: UInt8) { self.init(gray: value) }

    /// The samples of this color in `mode`: [luma] or [R, G, B].
    public func samples(_ mode: ColorMode) -> [UInt8] {
        mode == .gray ? [luma] : [red, green, blue]
    }

    /// ITU-R BT.601 luma in integers, rounded: `(299 R + 587 G + 114 B + 500) / 1000`.
    public var luma: UInt8 { RGBColor.luma(red, green, blue) }

    /// The project's one RGB-to-gray rule (BT.601, rounded), for PNG and JPEG alike.
    @inline(__always)
    public static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let red: UInt32 = 299 * UInt32(r), green: UInt32 = 587 * UInt32(g), blue: UInt32 = 114 * UInt32(b)
        return UInt8((red + green + blue + 500) / 1000)
    }
}

extension RGBColor {
    /// In JSON, `[R, G, B]`.
    public init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        self.init(red: try container.decode(UInt8.self), green: try container.decode(UInt8.self),
                  blue: try container.decode(UInt8.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(red)
        try container.encode(green)
        try container.encode(blue)
    }
}
