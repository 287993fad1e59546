// Text on a sample sheet: the classes sheet names each row's class in a margin left of the tiles,
// and `samples --class` names its class in a title band above them. The text is drawn by Cairo
// (DejaVu Sans, `PlotCanvas`) on a canvas of the margin's or band's size filled with the sheet's
// background, and its pixels are copied into the sheet, so the tiles stay exactly the bytes of a
// sheet without text and a gray sheet stays gray. Black text on a background of luma 128 or more,
// white on a darker one.
//
// M = the label margin, T = the title band, s = a font size in pixels, g = the gap around text.
//
// ```
// M = ⌈max_i text width of label i at s⌉ + 2·g,   s = 12, g = 6
// label r: right-aligned at x = M - g, its baseline at the middle of row r plus 0.35·s
// T = 2·s = 28, s = 14; the title centered over the grid, its baseline at T - g
// ```
import VAEImages

extension Sheet {
    /// The row labels' font size, in pixels.
    public static let labelFontSize = 12.0
    /// The space left and right of the longest label, and under the title, in pixels.
    public static let labelGap = 6
    /// The title's font size, in pixels.
    public static let titleFontSize = 14.0
    /// T, the height of the title band.
    public static let titleBand = 2 * Int(titleFontSize)

    /// M, the margin that fits `labels` (0 for none).
    /// - Throws: `VisualError` when Cairo cannot make the canvas it measures on.
    public static func labelMargin(_ labels: [String]) throws -> Int {
        guard !labels.isEmpty else { return 0 }
        let canvas = try PlotCanvas(width: 1, height: 1)
        let widest = labels.map { canvas.textWidth($0, size: labelFontSize) }.max()!
        return Int(widest.rounded(.up)) + 2 * labelGap
    }

    /// Draws `labels[r]` in the margin beside row r (a layout with `margin` = `labelMargin(labels)`).
    /// - Throws: `VisualError` for a label count other than the rows, or from Cairo.
    public mutating func labelRows(_ labels: [String], background: RGBColor) throws {
        guard labels.count == layout.rows else {
            throw VisualError("\(labels.count) row labels for a sheet of \(layout.rows) rows")
        }
        let layout = layout, m = layout.margin
        try drawText(x: 0, y: 0, width: m, height: layout.height, background: background) { canvas, ink in
            for (r, label) in labels.enumerated() {
                let middle = Double(layout.origin(row: r, col: 0).y) + Double(layout.tileHeight * layout.scale) / 2
                canvas.text(label, x: Double(m - Self.labelGap), y: middle + Self.labelFontSize * 0.35,
                            size: Self.labelFontSize, color: ink, anchor: .right)
            }
        }
    }

    /// Draws `title` centered in the band above the grid (a layout with `top` = `titleBand`).
    /// A title wider than the sheet is cut at its edges.
    /// - Throws: `VisualError` from Cairo.
    public mutating func drawTitle(_ title: String, background: RGBColor) throws {
        let layout = layout, gridWidth = layout.width - layout.margin
        try drawText(x: layout.margin, y: 0, width: gridWidth, height: layout.top, background: background) { canvas, ink in
            canvas.text(title, x: Double(gridWidth) / 2, y: Double(layout.top - Self.labelGap), size: Self.titleFontSize,
                        color: ink, anchor: .center)
        }
    }

    /// Fills the rectangle at (x0, y0) of `width` × `height` with the background, lets `draw` put
    /// text on it (in canvas coordinates, with the ink color for that background), and copies
    /// the result into the sheet's pixels. Nothing happens for an empty rectangle.
    private mutating func drawText(x x0: Int, y y0: Int, width: Int, height: Int, background: RGBColor,
                                   _ draw: (PlotCanvas, RGB) -> Void) throws {
        guard width > 0, height > 0 else { return }
        let fill = channels == 1 ? RGBColor(gray: background.luma) : background
        let canvas = try PlotCanvas(width: width, height: height)
        canvas.fill(x: 0, y: 0, width: Double(width), height: Double(height), color: RGB(fill.red, fill.green, fill.blue))
        draw(canvas, fill.luma >= 128 ? .black : .white)
        let rgb = canvas.rgbBytes(), c = channels, rowBytes = layout.width * c
        for y in 0..<height {
            for x in 0..<width {
                let o = (y0 + y) * rowBytes + (x0 + x) * c, i = (y * width + x) * 3
                if c == 1 {
                    pixels[o] = RGBColor.luma(rgb[i], rgb[i + 1], rgb[i + 2])
                } else {
                    for s in 0..<3 { pixels[o + s] = rgb[i + s] }
                }
            }
        }
    }
}
