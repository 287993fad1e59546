// vae-generate samples: images decoded from codes drawn from the prior.
import ArgumentParser
import VAEVisual

struct Samples: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A grid of images decoded from codes drawn from the prior: z ~ N(0, T² I), or for the VampPrior a component k and z ~ N(mu_k, T² sigma_k²).",
        discussion: """
            Each pixel is the decoder's mean; with --sample-pixels, a draw from p(x|z) instead: \
            black or white for the Bernoulli likelihood, mean + sigma·eps clamped to [0, 1] for a \
            Gaussian one.
            """)

    @OptionGroup var sheet: SheetOptions

    @Option(help: "Rows of the grid.")
    var rows = 8

    @Option(help: "Columns of the grid.")
    var cols = 8

    @Option(help: "T, the standard deviation of the prior draws (1: the prior itself; 0: every tile decodes z = 0).")
    var temperature: Float = 1

    @Flag(help: "Draw every pixel from p(x|z) instead of showing its mean.")
    var samplePixels = false

    @Option(name: .customLong("class"), help: ArgumentHelp("A conditional model: decode every tile with this class, a name or an index from 0 (default: row r with class r mod K).", valueName: "name|index"))
    var classChoice: String?

    @Option(help: "A shard artifact whose image shape to use (when the checkpoint does not record it and the images are not square).")
    var data: String?

    func validate() throws {
        guard rows >= 1, cols >= 1 else { throw ValidationError("--rows and --cols must be at least 1, got \(rows)x\(cols)") }
        guard temperature >= 0, temperature <= 100 else {
            throw ValidationError("--temperature must be between 0 and 100, got \(temperature)")
        }
    }

    func run() throws {
        try sheet.draw("samples", data: data) { trained, _, shape in
            try Generation.samples(model: trained.model, shape: shape, rows: rows, cols: cols, temperature: temperature,
                                   samplePixels: samplePixels, seed: sheet.seed, style: sheet.style,
                                   label: try classChoice.map { try Generation.classIndex($0, model: trained.model) })
        }
    }
}
