// vae-generate curves: numeric columns of CSV files (metrics.csv, gradient_variance.csv, ...)
// plotted against one column, as a PNG drawn with Cairo.
import ArgumentParser
import CommandSupport
import VAEVisual

struct CurvesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curves",
        abstract: "Line plots of CSV columns against one column, as a PNG.",
        discussion: """
            One line and one legend entry per file and --y column; with several --csv files, the \
            entries read FILE: COLUMN, FILE being the file name or, when those are equal, the part \
            of the paths that differs. Rows whose value is nan or inf break the line. A long-format \
            CSV such as gradient_variance.csv takes --where and --by: `--where tensor=encoder --by \
            estimator --y variance` draws one line per estimator. See docs/EMBED_AND_GENERATE.md.
            """)

    @Option(name: .customLong("csv"), help: "A CSV file with a header row (repeat to overlay several).")
    var files: [String] = []

    @Option(help: "The column along the horizontal axis.")
    var x: String

    @Option(help: "The columns to plot, separated by commas.")
    var y: String

    @Option(help: "The PNG file to write.")
    var out: String

    @Option(name: .customLong("where"), help: ArgumentHelp("Only the rows whose COLUMN holds VALUE (repeat for several).",
                                                           valueName: "COLUMN=VALUE"))
    var filters: [RowFilter] = []

    @Option(help: ArgumentHelp("One line per distinct value of this column, in the order of first appearance.", valueName: "COLUMN"))
    var by: String?

    @Flag(help: "A logarithmic vertical axis (every value must be positive).")
    var logY = false

    @Option(help: "A title above the plot.")
    var title: String?

    @Option(help: "The picture's width in pixels.")
    var width = Curves.defaultWidth

    @Option(help: "The picture's height in pixels.")
    var height = Curves.defaultHeight

    var columns: [String] { y.split(separator: ",").map { String($0) } }

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one --csv file") }
        guard !columns.isEmpty, !columns.contains(where: \.isEmpty) else {
            throw ValidationError("--y must name one or more columns separated by commas, got '\(y)'")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a PNG file") }
        guard (200...PlotCanvas.maxSide).contains(width), (150...PlotCanvas.maxSide).contains(height) else {
            throw ValidationError("--width and --height must be 200 to \(PlotCanvas.maxSide) and 150 to \(PlotCanvas.maxSide) pixels, got \(width)x\(height)")
        }
    }

    func run() throws {
        try reportingErrors("vae-generate curves") {
            let tables = try files.map { try CSVTable(path: $0) }
            let series = try Curves.series(tables, x: x, y: columns, logY: logY, filters: filters, group: by)
            let plot = try Curves.draw(series, xLabel: x, yLabel: columns.joined(separator: ", "), logY: logY,
                                         title: title, width: width, height: height)
            try plot.canvas.writePNG(to: out)
        }
    }
}

extension RowFilter: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
