// vae-generate scatter: the latent codes of vae-embed's CSV in a plane (two dimensions or the
// first two principal components), colored by label, as a PNG drawn with Cairo.
import ArgumentParser
import CommandSupport
import VAECore
import VAEShards
import VAEVisual

/// Two latent dimensions typed as `i,j`, numbered from 1.
struct DimensionPair: ExpressibleByArgument {
    let first: Int
    let second: Int

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let j = Int(parts[1]), i >= 1, j >= 1 else { return nil }
        first = i
        second = j
    }
}

struct ScatterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scatter",
        abstract: "The latent means of a vae-embed CSV as a scatter plot colored by label, as a PNG.",
        discussion: """
            Without --dims or --pca: dimensions 1 and 2 of a 2-D model, the principal components \
            otherwise. The principal components are those of the codes of --split (all of them, \
            before any subsample), from LAPACK's ssyevd. With more codes than --max-points, every \
            (N/M)-th one is drawn, the same ones each time. The legend lists the label names in the \
            order of --data's manifest, or sorted; unlabelled codes are drawn in one color.
            """)

    @Option(help: "The latent CSV written by vae-embed.")
    var latents: String

    @Option(help: "The PNG file to write.")
    var out: String

    @Option(help: "Two latent dimensions to plot, numbered from 1: horizontal,vertical.")
    var dims: DimensionPair?

    @Flag(help: "Plot the first two principal components of the codes.")
    var pca = false

    @Option(help: "The rows to plot: train, test or all.")
    var split: SplitSelection = .test

    @Option(help: "At most this many points (an evenly spaced subsample of the rows).")
    var maxPoints = 10_000

    @Option(help: "A shard artifact whose label names give the legend's order and colors.")
    var data: String?

    @Option(help: "A title above the plot.")
    var title: String?

    func validate() throws {
        guard !(pca && dims != nil) else { throw ValidationError("give --dims or --pca, not both") }
        guard maxPoints >= 1 else { throw ValidationError("--max-points must be at least 1, got \(maxPoints)") }
        guard !out.isEmpty else { throw ValidationError("--out must name a PNG file") }
    }

    var projection: ScatterProjection {
        if let dims { return .dimensions(dims.first, dims.second) }
        return pca ? .principalComponents : .automatic
    }

    func run() throws {
        try reportingErrors("vae-generate scatter") {
            let codes = try LatentCodes(path: latents, splits: split.splits)
            guard codes.count > 0 else {
                throw DataError(.corrupt, latents, "has no rows of the \(split.rawValue) split (embed it with --split \(split.rawValue) or all)")
            }
            let order = try data.map { try ShardDataset(directory: $0).manifest.labelNames ?? [] }
            let plot = try Scatter.plot(codes, projection: projection, maxPoints: maxPoints, order: order,
                                          title: title ?? "\(split.rawValue) split: \(min(maxPoints, codes.count)) of \(codes.count) codes")
            try plot.canvas.writePNG(to: out)
        }
    }
}

extension SplitSelection: ExpressibleByArgument {}
