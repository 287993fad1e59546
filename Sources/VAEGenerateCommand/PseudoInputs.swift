// vae-generate pseudo-inputs: the VampPrior's learned pseudo-inputs as a sheet.
import ArgumentParser
import VAEVisual

struct PseudoInputs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pseudo-inputs",
        abstract: "The VampPrior's pseudo-inputs u_k (a model trained with --prior vamp) as a sheet of images.",
        discussion: """
            The prior is the mixture of the encoder's posteriors at these K images, learned with the \
            model; tiles in the order of the parameters, pixels clamped to [0, 1].
            """)

    @OptionGroup var sheet: SheetOptions

    @Option(help: "Columns of the grid (rows: as many as the pseudo-inputs need).")
    var cols = 10

    @Option(help: "A shard artifact whose image shape to use (when the checkpoint does not record it and the images are not square).")
    var data: String?

    func validate() throws {
        guard cols >= 1 else { throw ValidationError("--cols must be at least 1, got \(cols)") }
    }

    func run() throws {
        try sheet.draw("pseudo-inputs", data: data) { trained, _, shape in
            try Generation.pseudoInputs(model: trained.model, shape: shape, cols: cols, style: sheet.style)
        }
    }
}
