// A sample sheet being drawn: a byte canvas of a `SheetLayout`'s size filled with the background
// color, onto which tiles are copied, enlarged by nearest neighbour: gray (1 channel) or RGB (3,
// interleaved), as the model's images are. Decoder means in [0, 1] become bytes by rounding v·255
// (values outside [0, 1] are clamped, NaN becomes 0).
import VAECore
import VAEImages

/// An 8-bit gray or RGB canvas laid out as a grid of tiles.
public struct Sheet: Sendable {
    public let layout: SheetLayout
    /// C, 1 (gray) or 3 (RGB).
    public let channels: Int
    /// layout.height × layout.width × C bytes, row-major.
    public internal(set) var pixels: [UInt8]

    /// A sheet of `layout`'s size, every pixel `background` (its BT.601 luma when gray; a plain
    /// number is a gray level, 0 black ... 255 white).
    public init(layout: SheetLayout, channels: Int = 1, background: RGBColor = 0) {
        precondition(channels == 1 || channels == 3, "a sheet is gray or RGB")
        self.layout = layout
        self.channels = channels
        let fill = background.samples(channels == 1 ? .gray : .rgb)
        pixels = Array((0..<layout.width * layout.height).map { _ in fill }.joined())
    }

    /// Copies one image of h × w × C bytes into tile (`row`, `col`), each pixel a K × K block.
    public mutating func place(bytes tile: UnsafeBufferPointer<UInt8>, row: Int, col: Int) {
        let h = layout.tileHeight, w = layout.tileWidth, k = layout.scale, c = channels, width = layout.width * c
        precondition(tile.count == h * w * c && (0..<layout.rows).contains(row) && (0..<layout.cols).contains(col),
                     "tile (\(row), \(col)) of \(tile.count) samples does not fit the layout")
        let (x0, y0) = layout.origin(row: row, col: col)
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<h {
                let line = out.baseAddress! + (y0 + y * k) * width + x0 * c
                for x in 0..<w {
                    for dx in 0..<k {
                        for s in 0..<c { line[(x * k + dx) * c + s] = tile[(y * w + x) * c + s] }
                    }
                }
                if k > 1 {
                    for dy in 1..<k { (line + dy * width).update(from: line, count: w * k * c) }
                }
            }
        }
    }

    /// Copies one image of h × w intensities in [0, 1] into tile (`row`, `col`) (see `byte(_:)`).
    public mutating func place(intensities tile: UnsafeBufferPointer<Float>, row: Int, col: Int) {
        let bytes = tile.map(Sheet.byte)
        bytes.withUnsafeBufferPointer { place(bytes: $0, row: row, col: col) }
    }

    /// A gray sheet as an image, for `PNGCodec` (an RGB sheet: use `write`).
    public var image: GrayImage { GrayImage(width: layout.width, height: layout.height, pixels: pixels) }

    /// Writes the sheet as a PNG, atomically: 8-bit gray (color type 0) or RGB (color type 2).
    public func write(to path: String) throws {
        if channels == 1 { return try PNGCodec.write(image, to: path) }
        let raster = PNGRaster(width: layout.width, height: layout.height, colorType: .rgb, bitDepth: 8, rows: pixels)
        try AtomicFile.write(try PNGCodec.encode(raster, path: path), to: path)
    }

    /// An intensity as a byte: round(clamp(v, 0, 1) · 255); NaN gives 0.
    ///
    /// ```
    /// byte = ⌊ clamp(v, 0, 1) · 255 + 0.5 ⌋
    /// ```
    @inline(__always)
    public static func byte(_ v: Float) -> UInt8 {
        guard v > 0 else { return 0 }  // also NaN
        guard v < 1 else { return 255 }
        return UInt8(v * 255 + 0.5)
    }
}
