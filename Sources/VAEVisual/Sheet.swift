// A sample sheet being drawn: a byte canvas of a `SheetLayout`'s size filled with the background
// level, onto which tiles are copied, enlarged by nearest neighbour. Decoder means in [0, 1]
// become bytes by rounding v·255 (values outside [0, 1] are clamped, NaN becomes 0).
import VAEData

/// An 8-bit grayscale canvas laid out as a grid of tiles.
public struct Sheet: Sendable {
    public let layout: SheetLayout
    /// layout.height × layout.width bytes, row-major.
    public private(set) var pixels: [UInt8]

    /// A sheet of `layout`'s size, every pixel at `background` (0 black ... 255 white).
    public init(layout: SheetLayout, background: UInt8 = 0) {
        self.layout = layout
        pixels = [UInt8](repeating: background, count: layout.width * layout.height)
    }

    /// Copies one image of h × w bytes into tile (`row`, `col`), each pixel a K × K block.
    public mutating func place(bytes tile: UnsafeBufferPointer<UInt8>, row: Int, col: Int) {
        let h = layout.tileHeight, w = layout.tileWidth, k = layout.scale, width = layout.width
        precondition(tile.count == h * w && (0..<layout.rows).contains(row) && (0..<layout.cols).contains(col),
                     "tile (\(row), \(col)) of \(tile.count) pixels does not fit the layout")
        let (x0, y0) = layout.origin(row: row, col: col)
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<h {
                let line = out.baseAddress! + (y0 + y * k) * width + x0
                for x in 0..<w {
                    let v = tile[y * w + x]
                    for dx in 0..<k { line[x * k + dx] = v }
                }
                if k > 1 {
                    for dy in 1..<k { (line + dy * width).update(from: line, count: w * k) }
                }
            }
        }
    }

    /// Copies one image of h × w intensities in [0, 1] into tile (`row`, `col`) (see `byte(_:)`).
    public mutating func place(intensities tile: UnsafeBufferPointer<Float>, row: Int, col: Int) {
        let bytes = tile.map(Sheet.byte)
        bytes.withUnsafeBufferPointer { place(bytes: $0, row: row, col: col) }
    }

    /// The sheet as an image, for `PNGCodec`.
    public var image: GrayImage { GrayImage(width: layout.width, height: layout.height, pixels: pixels) }

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
