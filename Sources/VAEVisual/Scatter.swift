// A scatter plot of latent codes from vae-embed's CSV: two of the mu columns, or the codes
// projected on their first two principal components, one dot per example colored by its label
// with a legend of the label names (one color and no legend for unlabelled data). When there are
// more examples than --max-points, an evenly spaced subsample is drawn (the same one every time).
//
// N = examples read, M = examples drawn, Z = latent size.
import VAECore
import VAEShards

/// Which plane of the latent space a scatter plot shows.
public enum ScatterProjection: Equatable, Sendable {
    /// Two mu dimensions, numbered from 1 as in the CSV.
    case dimensions(Int, Int)
    /// The first two principal components of the codes drawn from.
    case principalComponents
    /// Dimensions 1 and 2 for a 2-D model, principal components otherwise.
    case automatic
}

/// The points of a scatter plot in the plane chosen, with their axis names.
public struct ScatterPlane: Sendable {
    public var x: [Double]
    public var y: [Double]
    public var xLabel: String
    public var yLabel: String

    /// Projects `codes` on `projection`; principal components are fitted on all of `codes`.
    /// - Throws: `VisualError` for a dimension out of 1...Z, or principal components of Z < 2.
    public init(_ codes: LatentCodes, projection: ScatterProjection) throws {
        let z = codes.latentSize
        var projection = projection
        if projection == .automatic { projection = z == 2 ? .dimensions(1, 2) : .principalComponents }
        switch projection {
        case .dimensions(let i, let j):
            guard (1...z).contains(i), (1...z).contains(j) else {
                throw VisualError("--dims \(i),\(j): \(codes.path) has latent dimensions 1 to \(z)")
            }
            x = (0..<codes.count).map { Double(codes.means[$0 * z + i - 1]) }
            y = (0..<codes.count).map { Double(codes.means[$0 * z + j - 1]) }
            xLabel = "mu_\(i)"
            yLabel = "mu_\(j)"
        case .principalComponents, .automatic:
            guard z >= 2 else { throw VisualError("--pca: \(codes.path) has one latent dimension, principal components need two") }
            let pca = try PrincipalComponents(points: codes.means, dimension: z, keep: 2)
            let projected = (0..<codes.count).map { pca.project(codes.means[$0 * z ..< ($0 + 1) * z]) }
            x = projected.map { $0[0] }
            y = projected.map { $0[1] }
            func share(_ k: Int) -> String {
                pca.totalVariance > 0 ? " (\(Int((100 * pca.variances[k] / pca.totalVariance).rounded()))% of variance)" : ""
            }
            xLabel = "principal component 1" + share(0)
            yLabel = "principal component 2" + share(1)
        }
    }
}

public enum Scatter {
    public static let defaultWidth = 900, defaultHeight = 700

    /// The indices of an evenly spaced subsample of `m` out of `n` (every (n/m)-th, rounded
    /// down), or all of them when `m` ≥ `n`.
    public static func evenlySpaced(_ m: Int, of n: Int) -> [Int] {
        m >= n ? Array(0..<n) : (0..<m).map { $0 * n / m }
    }

    /// The whole plot: projects `codes` (principal components fitted on all of them), draws at
    /// most `maxPoints` of them, colors by class in the order `classes(_:order:)` gives.
    public static func plot(_ codes: LatentCodes, projection: ScatterProjection, maxPoints: Int, order: [String]?,
                            title: String?, width: Int = defaultWidth, height: Int = defaultHeight) throws -> Plot {
        let plane = try ScatterPlane(codes, projection: projection)
        let picks = evenlySpaced(maxPoints, of: codes.count)
        var drawn = plane
        drawn.x = picks.map { plane.x[$0] }
        drawn.y = picks.map { plane.y[$0] }
        return try draw(drawn, labels: picks.map { codes.labels[$0] }, classes: classes(codes.labels, order: order),
                        title: title, width: width, height: height)
    }

    /// The classes in legend order: `order` (a manifest's label names) when given, else sorted
    /// (numerically when every name is an integer). Names not in `order` follow, sorted.
    public static func classes(_ labels: [String], order: [String]?) -> [String] {
        let present = Set(labels)
        let numbers = present.compactMap { Int($0) }
        let sorted = numbers.count == present.count ? numbers.sorted().map(String.init) : present.sorted()
        guard let order else { return sorted }
        let listed = order.filter { present.contains($0) }
        return listed + sorted.filter { !Set(listed).contains($0) }
    }

    /// Draws the plane's points colored by class, in file order, with a legend right of the plot.
    /// Unlabelled points (all labels empty) are drawn in one color without a legend.
    public static func draw(_ plane: ScatterPlane, labels: [String], classes: [String], title: String?,
                            width: Int = defaultWidth, height: Int = defaultHeight) throws -> Plot {
        guard !plane.x.isEmpty else { throw VisualError("nothing to plot: no examples in the split asked for") }
        let canvas = try PlotCanvas(width: width, height: height)
        let labelled = !(classes.count == 1 && classes[0].isEmpty)
        let entries = labelled ? classes.enumerated().map { (label: $1.isEmpty ? "(no label)" : $1, color: RGB.palette($0)) } : []
        let xTicks = Ticks.linear(plane.x.min()!, plane.x.max()!, target: 7)
        let yTicks = Ticks.linear(plane.y.min()!, plane.y.max()!, target: 7)
        let frame = ChartFrame.draw(on: canvas, x: xTicks, y: yTicks, logY: false, title: title, xLabel: plane.xLabel,
                                    yLabel: plane.yLabel, reserveRight: entries.isEmpty ? 0 : ChartFrame.legendWidth(on: canvas, entries) + 14)
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let radius = plane.x.count > 3000 ? 1.6 : 2.4
        for i in plane.x.indices {
            let color = labelled ? RGB.palette(index[labels[i]] ?? 0) : RGB.palette(0)
            canvas.dots([(frame.px(plane.x[i]), frame.py(plane.y[i]))], radius: radius, color: color, alpha: 0.7)
        }
        frame.legend(on: canvas, entries, swatch: .dot, outside: true)
        return Plot(canvas: canvas, frame: frame)
    }
}
