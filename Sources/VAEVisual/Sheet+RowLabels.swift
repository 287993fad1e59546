// Row labels on a sample sheet: the classes sheet names each row's class in a margin left of the
// tiles. The text is drawn by Cairo (DejaVu Sans, `PlotCanvas`) on a canvas of the margin's size
// filled with the sheet's background, and its pixels are copied into the margin, so the tiles stay
// exactly the bytes of an unlabelled sheet and a gray sheet stays gray.
//
// M = the margin, s = the font size in pixels, g = the gap either side of the text.
//
// ```
// M = ⌈max_i text width of label i at s⌉ + 2·g,   s = 12, g = 6
// label r: right-aligned at x = M - g, its baseline at the middle of row r plus s·0.35
// ```
import VAEData

extension Sheet {
    /// The labels' font size, in pixels.
    public static let labelFontSize = 12.0
    /// The space left and right of the longest label, in pixels.
    public static let labelGap = 6

    /// M, the margin that fits `labels` (0 for none).
    /// - Throws: `VisualError` when Cairo cannot make the canvas it measures on.
    public static func labelMargin(_ labels: [String]) throws -> Int {
        guard !labels.isEmpty else { return 0 }
        let canvas = try PlotCanvas(width: 1, height: 1)
        let widest = labels.map { canvas.textWidth($0, size: labelFontSize) }.max()!
        return Int(widest.rounded(.up)) + 2 * labelGap
    }

    /// Draws `labels[r]` in the margin beside row r (a layout with `margin` =
    /// `labelMargin(labels)`), black on a light background and white on a dark one.
    /// - Throws: `VisualError` for a label count other than the rows, or from Cairo.
    public mutating func labelRows(_ labels: [String], background: RGBColor) throws {
        let m = layout.margin, height = layout.height
        guard labels.count == layout.rows else {
            throw VisualError("\(labels.count) row labels for a sheet of \(layout.rows) rows")
        }
        guard m > 0 else { return }
        let fill = channels == 1 ? RGBColor(gray: background.luma) : background
        let canvas = try PlotCanvas(width: m, height: height)
        canvas.fill(x: 0, y: 0, width: Double(m), height: Double(height), color: RGB(fill.red, fill.green, fill.blue))
        let ink: RGB = fill.luma >= 128 ? .black : .white
        for (r, label) in labels.enumerated() {
            let middle = Double(layout.origin(row: r, col: 0).y) + Double(layout.tileHeight * layout.scale) / 2
            canvas.text(label, x: Double(m - Self.labelGap), y: middle + Self.labelFontSize * 0.35,
                        size: Self.labelFontSize, color: ink, anchor: .right)
        }
        let rgb = canvas.rgbBytes(), c = channels, rowBytes = layout.width * c
        for y in 0..<height {
            for x in 0..<m {
                let o = y * rowBytes + x * c, i = (y * m + x) * 3
                if c == 1 {
                    pixels[o] = RGBColor.luma(rgb[i], rgb[i + 1], rgb[i + 2])
                } else {
                    for s in 0..<3 { pixels[o + s] = rgb[i + s] }
                }
            }
        }
    }
}
