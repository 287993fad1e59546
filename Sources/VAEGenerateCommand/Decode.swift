// vae-generate decode: the rows of a latent CSV (mu_1 ... mu_Z, as vae-embed writes them, or
// edited elsewhere) through the decoder, to one PNG per row in a directory or to one sheet.
import ArgumentParser
import VAEVisual

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode the rows of a latent CSV (columns mu_1 ... mu_Z) to images.",
        discussion: """
            --out DIR writes one PNG per row, named SPLIT-INDEX.png when the CSV has index and split \
            columns (as vae-embed writes), INDEX.png with index alone, else by row number; --out \
            FILE.png writes one sheet of them, --cols to a row. A conditional model takes each \
            row's class from a label column, or every row's from --class. A row whose mu fields \
            are missing, not numbers or not finite is refused, naming its line and column.
            """)

    @OptionGroup var sheet: SheetOptions

    @Option(help: "The CSV of latent codes: columns mu_1 ... mu_Z (others are ignored but index, split and label).")
    var latents: String

    @Option(help: "The shard artifact the model was trained on, for the image size when the checkpoint does not record it.")
    var data: String?

    @Option(name: .customLong("class"), help: "A conditional model's class for every row: a name or an index.")
    var className: String?

    @Option(help: "Images per row of a sheet (--out FILE.png).")
    var cols = 8

    @Flag(help: "Replace an existing non-empty output directory.")
    var force = false

    /// A sheet when --out names a PNG file, else a directory of PNGs.
    var writesSheet: Bool { sheet.out.lowercased().hasSuffix(".png") }

    func validate() throws {
        guard cols >= 1 else { throw ValidationError("--cols must be at least 1, got \(cols)") }
    }

    func run() throws {
        try sheet.run("decode", data: data) { trained, _, shape in
            let model = trained.model
            let codes = try LatentCodes(path: latents)
            try codes.check(latent: model.config.latentSize)
            let labels = try Generation.labels(of: codes, model: model, className: className)
            if writesSheet {
                try Generation.decodedSheet(codes, model: model, shape: shape, labels: labels, cols: cols, style: sheet.style)
                    .write(to: sheet.out)
            } else {
                try Generation.writeDecoded(codes, model: model, shape: shape, labels: labels, scale: sheet.scale,
                                            to: sheet.out, force: force)
            }
        }
    }
}
