// The geometry of a sample sheet: a grid of equal tiles, each an image enlarged by an integer
// factor (nearest neighbour), with a border of `pad` pixels around and between the tiles, and
// optionally a margin on the left for row labels (the classes sheet's class names) and a band on
// top for a title (the class of `samples --class`).
//
// h, w = tile image height and width, K = scale, P = pad, R = rows, C = columns, M = label margin,
// T = title band.

/// Where every tile of a sheet goes, checked against the size limit before anything is allocated.
///
/// ```
/// width  = M + C·w·K + (C + 1)·P
/// height = T + R·h·K + (R + 1)·P
/// tile (r, c) starts at  x = M + P + c·(w·K + P),  y = T + P + r·(h·K + P)
/// ```
public struct SheetLayout: Equatable, Sendable {
    /// The largest width or height of a sheet (libpng's and `PNGCodec`'s limit on reading it back).
    public static let maxSide = 16_384
    /// The largest number of pixels of a sheet: 2^26 = 67,108,864 (64 Mi pixels).
    public static let maxPixels = 1 << 26
    /// The largest enlargement factor.
    public static let maxScale = 64
    /// The largest padding, in pixels.
    public static let maxPad = 1024

    public let rows: Int
    public let cols: Int
    public let tileHeight: Int
    public let tileWidth: Int
    public let scale: Int
    public let pad: Int
    /// M, the pixels left of the grid for row labels (0: none).
    public let margin: Int
    /// T, the pixels above the grid for a title (0: none).
    public let top: Int
    public let width: Int
    public let height: Int

    /// Checks every argument and the size of the result.
    /// - Throws: `VisualError` naming the first bad value, or the size when it exceeds
    ///   `maxSide` or `maxPixels`.
    public init(rows: Int, cols: Int, tileHeight: Int, tileWidth: Int, scale: Int = 1, pad: Int = 0,
                margin: Int = 0, top: Int = 0) throws(VisualError) {
        guard rows >= 1 else { throw VisualError("rows must be at least 1, got \(rows)") }
        guard cols >= 1 else { throw VisualError("columns must be at least 1, got \(cols)") }
        guard tileHeight >= 1, tileWidth >= 1 else {
            throw VisualError("tile images must be at least 1x1, got \(tileWidth)x\(tileHeight)")
        }
        guard (1...Self.maxScale).contains(scale) else {
            throw VisualError("scale must be between 1 and \(Self.maxScale), got \(scale)")
        }
        guard (0...Self.maxPad).contains(pad) else {
            throw VisualError("pad must be between 0 and \(Self.maxPad), got \(pad)")
        }
        guard (0...Self.maxSide).contains(margin) else {
            throw VisualError("the label margin must be between 0 and \(Self.maxSide), got \(margin)")
        }
        guard (0...Self.maxSide).contains(top) else {
            throw VisualError("the title band must be between 0 and \(Self.maxSide), got \(top)")
        }
        // Each term is bounded before it is multiplied, so nothing here can overflow.
        func side(_ count: Int, _ tile: Int) -> Int? {
            guard count <= Self.maxSide, tile <= Self.maxSide else { return nil }
            return count * tile * scale + (count + 1) * pad
        }
        guard let grid = side(cols, tileWidth), let gridHeight = side(rows, tileHeight),
              case let width = margin + grid, case let height = top + gridHeight, width <= Self.maxSide, height <= Self.maxSide, width * height <= Self.maxPixels
        else {
            let w = Double(margin) + Double(cols) * (Double(tileWidth) * Double(scale)) + (Double(cols) + 1) * Double(pad)
            let h = Double(top) + Double(rows) * (Double(tileHeight) * Double(scale)) + (Double(rows) + 1) * Double(pad)
            throw VisualError("a sheet of \(rows)x\(cols) tiles of \(tileWidth)x\(tileHeight) at scale \(scale) with pad \(pad) "
                + "would be \(Self.describe(w))x\(Self.describe(h)) pixels, over the limit of \(Self.maxSide) a side and \(Self.maxPixels) pixels")
        }
        self.rows = rows
        self.cols = cols
        self.tileHeight = tileHeight
        self.tileWidth = tileWidth
        self.scale = scale
        self.pad = pad
        self.margin = margin
        self.top = top
        self.width = width
        self.height = height
    }

    /// The top-left pixel of tile (`row`, `col`) on the sheet.
    public func origin(row: Int, col: Int) -> (x: Int, y: Int) {
        (margin + pad + col * (tileWidth * scale + pad), top + pad + row * (tileHeight * scale + pad))
    }

    private static func describe(_ value: Double) -> String {
        value < 1e15 ? String(Int(value)) : String(format: "%.3g", value)
    }
}
