// vae-generate classes: a conditional model's classes, one row each, the same codes in every row.
import ArgumentParser
import VAEVisual

struct Classes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One row per class of a conditional model, one code z ~ N(0, I) per column.",
        discussion: """
            Every column decodes one z with each class in turn, so a column shows one style across \
            all the classes; rows in the order of the model's classes (the manifest's label names).
            """)

    @OptionGroup var sheet: SheetOptions

    @Option(help: "Columns: codes drawn from the prior.")
    var cols = 10

    @Option(help: "A shard artifact whose image shape to use (when the checkpoint does not record it and the images are not square).")
    var data: String?

    func validate() throws {
        guard cols >= 1 else { throw ValidationError("--cols must be at least 1, got \(cols)") }
    }

    func run() throws {
        try sheet.draw("classes", data: data) { trained, _, shape in
            try Generation.classes(model: trained.model, shape: shape, cols: cols, seed: sheet.seed, style: sheet.style)
        }
    }
}
