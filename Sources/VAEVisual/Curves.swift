// Line plots of CSV columns against one column: the loss curves of a run (metrics.csv), the
// gradient variances (gradient_variance.csv, on a log scale), or the same columns of several runs
// overlaid. One line and one legend entry per file and column, colored from the palette in that
// order; points whose value is not finite break the line.

/// One line of a curve plot.
public struct CurveSeries: Sendable {
    public var label: String
    public var color: RGB
    /// (x, y) in data units, in the file's order.
    public var points: [(x: Double, y: Double)]
}

public enum Curves {
    /// The default picture size, in pixels.
    public static let defaultWidth = 800, defaultHeight = 500

    /// The series of `yColumns` against `xColumn` in every table, after keeping only the rows
    /// that pass every filter of `filters`; with `group`, one series per distinct value of that
    /// column (in the order the values first appear) and column. Each is labelled by its parts
    /// that vary, joined by `: `: the file (see `fileLabels`) when there are several tables, the
    /// group's value, and the column when there are several or no group (a long-format CSV such
    /// as gradient_variance.csv: `--where tensor=encoder --by estimator --y variance`).
    /// - Throws: `DataError` for a missing column or a field that is not a number; `VisualError`
    ///   when `logY` and a value is zero or negative, or when the filters leave no row.
    public static func series(_ tables: [CSVTable], x xColumn: String, y yColumns: [String], logY: Bool,
                              filters: [RowFilter] = [], group: String? = nil) throws -> [CurveSeries] {
        let names = fileLabels(tables.map(\.path))
        var out: [CurveSeries] = []
        for (t, whole) in tables.enumerated() {
            let table = try filters.reduce(whole) { try $0.filtered($1) }
            if !filters.isEmpty && table.records.isEmpty {
                throw VisualError("\(whole.path): no row has \(filters.map { "\($0.column)=\($0.value)" }.joined(separator: " and "))")
            }
            let parts: [(value: String?, table: CSVTable)] = try group.map { try table.grouped(by: $0).map { ($0.value, $0.table) } }
                ?? [(nil, table)]
            for part in parts {
                let xs = try part.table.numbers(xColumn)
                for column in yColumns {
                    let ys = try part.table.numbers(column)
                    if logY, let bad = ys.firstIndex(where: { $0.isFinite && $0 <= 0 }) {
                        throw VisualError("\(table.path): line \(part.table.lines[bad]), column \"\(column)\" is \(ys[bad]): --log-y needs positive values")
                    }
                    let label = [tables.count > 1 ? names[t] : nil, part.value, yColumns.count > 1 || group == nil ? column : nil]
                        .compactMap { $0 }.joined(separator: ": ")
                    out.append(CurveSeries(label: label, color: RGB.palette(out.count), points: Array(zip(xs, ys)).map { ($0, $1) }))
                }
            }
        }
        return out
    }

    /// Short names that tell the files apart: the file names without their extension when they
    /// differ, else the paths without the directories and names they all share at the start and
    /// at the end (`a/run1/metrics.csv`, `a/run2/metrics.csv`: `run1`, `run2`), else the paths.
    public static func fileLabels(_ paths: [String]) -> [String] {
        let components = paths.map { $0.split(separator: "/").map(String.init) }
        let files = components.map { parts -> String in
            let name = parts.last ?? ""
            let stem = name.split(separator: ".").dropLast().joined(separator: ".")
            return stem.isEmpty ? name : stem
        }
        if Set(files).count == paths.count { return files }
        let shortest = components.map(\.count).min() ?? 0
        func shared(_ index: (([String]) -> String?)) -> Bool { Set(components.map(index)).count == 1 }
        var head = 0, tail = 0
        while head < shortest - 1, shared({ $0[head] }) { head += 1 }
        while tail < shortest - 1 - head, shared({ $0[$0.count - 1 - tail] }) { tail += 1 }
        let middles = components.map { $0[head ..< $0.count - tail].joined(separator: "/") }
        return Set(middles).count == paths.count && !middles.contains("") ? middles : paths
    }

    /// Draws the series on a new canvas: ticks covering every finite point, axis labels from
    /// the column names, the legend in the corner of the plot area its lines cross least (top right
    /// when several are free).
    /// - Throws: `VisualError` when no series has a finite point.
    public static func draw(_ series: [CurveSeries], xLabel: String, yLabel: String, logY: Bool, title: String?,
                            width: Int = defaultWidth, height: Int = defaultHeight) throws -> Plot {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard let first = finite.first else { throw VisualError("nothing to plot: no row has finite values in the columns asked for") }
        var (x0, x1, y0, y1) = (first.x, first.x, first.y, first.y)
        for p in finite {
            x0 = min(x0, p.x); x1 = max(x1, p.x)
            y0 = min(y0, p.y); y1 = max(y1, p.y)
        }
        let canvas = try PlotCanvas(width: width, height: height)
        let xTicks = Ticks.linear(x0, x1, target: 8, integral: finite.allSatisfy { $0.x == $0.x.rounded() })
        let yTicks = logY ? Ticks.logarithmic(y0, y1) : Ticks.linear(y0, y1)
        let frame = ChartFrame.draw(on: canvas, x: xTicks, y: yTicks, logY: logY, title: title, xLabel: xLabel, yLabel: yLabel)
        var marks: [(x: Double, y: Double)] = []  // every line, a point every 2 pixels or so, for the legend to avoid
        for s in series {
            let points = s.points.map { p -> (x: Double, y: Double)? in
                p.x.isFinite && p.y.isFinite ? (frame.px(p.x), frame.py(p.y)) : nil
            }
            canvas.polyline(points, color: s.color)
            for (a, b) in zip(points, points.dropFirst()) {
                guard let a, let b else { continue }
                let steps = min(Int(max(abs(b.x - a.x), abs(b.y - a.y)) / 2) + 1, 10_000)
                for k in 0...steps {
                    let t = Double(k) / Double(steps)
                    marks.append((a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)))
                }
            }
            if points.count == 1, let p = points[0] { marks.append(p) }
        }
        let legend = frame.legend(on: canvas, series.map { ($0.label, $0.color) }, swatch: .line, avoiding: marks)
        return Plot(canvas: canvas, frame: frame, legend: legend)
    }
}
