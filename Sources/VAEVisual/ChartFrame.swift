// The frame every plot shares: a title, a plot area with grid lines at the ticks, tick labels,
// axis labels, and a legend inside the plot area (in its emptiest corner) or right of it. It maps data coordinates to
// pixels; the curves and the scatter draw their marks inside it.
import Foundation

/// A finished picture and the frame its marks were drawn in (tests find the marks through it).
public struct Plot {
    public let canvas: PlotCanvas
    public let frame: ChartFrame
    /// The legend box's top left corner and size, for a legend inside the plot area.
    public var legend: (x: Double, y: Double, width: Double, height: Double)? = nil
}

/// The plot area of a chart and its data-to-pixel mapping.
public struct ChartFrame: Sendable {
    /// The plot area in pixels (y down).
    public let left: Double
    public let top: Double
    public let right: Double
    public let bottom: Double
    public let x: Ticks
    public let y: Ticks
    public let logY: Bool

    /// Font sizes, in points (= pixels on the canvas).
    static let titleSize = 16.0, labelSize = 13.0, tickSize = 11.0, legendSize = 12.0

    /// The pixel column of data value `v`.
    public func px(_ v: Double) -> Double { left + (v - x.lower) / (x.upper - x.lower) * (right - left) }

    /// The pixel row of data value `v` (its logarithm on a log axis).
    public func py(_ v: Double) -> Double {
        let t = logY ? (log10(v) - log10(y.lower)) / (log10(y.upper) - log10(y.lower)) : (v - y.lower) / (y.upper - y.lower)
        return bottom - t * (bottom - top)
    }

    /// Draws the frame on `canvas` (grid, ticks, labels, title) and returns it.
    /// - Parameter reserveRight: pixels kept free right of the plot area (for an outside legend).
    public static func draw(on canvas: PlotCanvas, x: Ticks, y: Ticks, logY: Bool, title: String?,
                            xLabel: String, yLabel: String, reserveRight: Double = 0) -> ChartFrame {
        let widest = y.values.map { canvas.textWidth(y.label($0), size: tickSize) }.max() ?? 0
        let frame = ChartFrame(left: (28 + widest + 10).rounded(), top: title == nil ? 20 : 44,
                               right: Double(canvas.width) - 24 - reserveRight, bottom: Double(canvas.height) - 52,
                               x: x, y: y, logY: logY)
        for v in x.values {
            let p = frame.px(v).rounded() + 0.5
            canvas.line(p, frame.top, p, frame.bottom, color: .grid)
            canvas.line(p, frame.bottom, p, frame.bottom + 5, color: .axis)
            canvas.text(x.label(v), x: p, y: frame.bottom + 19, size: tickSize, color: .axis, anchor: .center)
        }
        for v in y.values {
            let p = frame.py(v).rounded() + 0.5
            canvas.line(frame.left, p, frame.right, p, color: .grid)
            canvas.line(frame.left - 5, p, frame.left, p, color: .axis)
            canvas.text(y.label(v), x: frame.left - 8, y: p + 4, size: tickSize, color: .axis, anchor: .right)
        }
        canvas.stroke(x: frame.left + 0.5, y: frame.top + 0.5, width: frame.right - frame.left,
                      height: frame.bottom - frame.top, color: .axis)
        canvas.text(xLabel, x: (frame.left + frame.right) / 2, y: Double(canvas.height) - 12, size: labelSize, anchor: .center)
        canvas.text(yLabel + (logY ? " (log scale)" : ""), x: 18, y: (frame.top + frame.bottom) / 2, size: labelSize,
                    anchor: .center, vertical: true)
        if let title {
            canvas.text(title, x: Double(canvas.width) / 2, y: 28, size: titleSize, anchor: .center)
        }
        return frame
    }

    /// How a legend entry shows its color.
    public enum Swatch: Sendable { case line, dot }

    /// The width of the legend box of `entries`.
    public static func legendWidth(on canvas: PlotCanvas, _ entries: [(label: String, color: RGB)]) -> Double {
        let textWidth = entries.map { canvas.textWidth($0.label, size: legendSize) }.max() ?? 0
        return (8 + 22 + 6 + textWidth + 8).rounded(.up)
    }

    /// A legend box, one entry per row: inside the plot area, in the corner that covers the
    /// fewest of `avoiding` (pixel positions of the marks; ties go to the first of top right,
    /// top left, bottom right, bottom left), or (`outside`) right of the plot area, in the space
    /// `reserveRight` kept free. - Returns: the box's top left corner and size.
    @discardableResult
    public func legend(on canvas: PlotCanvas, _ entries: [(label: String, color: RGB)], swatch: Swatch, outside: Bool = false,
                       avoiding marks: [(x: Double, y: Double)] = []) -> (x: Double, y: Double, width: Double, height: Double) {
        let row = 18.0, pad = 8.0, swatchWidth = 22.0
        let width = Self.legendWidth(on: canvas, entries)
        let height = pad * 2 + row * Double(entries.count)
        guard !entries.isEmpty else { return (right, top, 0, 0) }
        let corners = [((right - 10 - width).rounded(), top + 10), (left + 10, top + 10),
                       ((right - 10 - width).rounded(), (bottom - 10 - height).rounded()), (left + 10, (bottom - 10 - height).rounded())]
        func covered(_ corner: (Double, Double)) -> Int {
            marks.filter { $0.x >= corner.0 && $0.x <= corner.0 + width && $0.y >= corner.1 && $0.y <= corner.1 + height }.count
        }
        var best = corners[0], fewest = covered(best)
        for corner in corners.dropFirst() where fewest > 0 {
            let n = covered(corner)
            if n < fewest { (best, fewest) = (corner, n) }
        }
        let (x0, y0) = outside ? (right + 14, top) : best
        canvas.fill(x: x0, y: y0, width: width, height: height, color: .white)
        canvas.stroke(x: x0 + 0.5, y: y0 + 0.5, width: width, height: height, color: .axis)
        for (i, entry) in entries.enumerated() {
            let middle = y0 + pad + row * Double(i) + row / 2
            switch swatch {
            case .line: canvas.line(x0 + pad, middle, x0 + pad + swatchWidth, middle, color: entry.color, lineWidth: 3)
            case .dot: canvas.dots([(x0 + pad + swatchWidth / 2, middle)], radius: 5, color: entry.color)
            }
            canvas.text(entry.label, x: x0 + pad + swatchWidth + 6, y: middle + 4, size: Self.legendSize)
        }
        return (x0, y0, width, height)
    }
}
