// vae-generate reconstructions: examples over their reconstructions decode(mu).
import ArgumentParser
import VAEShards
import VAEVisual

struct Reconstructions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The first --count examples of a split, each above its reconstruction decode(mu).",
        discussion: "Pairs of rows: originals in the upper row, reconstructions in the lower one.")

    @OptionGroup var sheet: SheetOptions

    @Option(help: "The shard artifact holding the examples.")
    var data: String

    @Option(help: "The split to take the examples from: train or test.")
    var split: Split = .test

    @Option(help: "How many examples, from index 0.")
    var count = 16

    @Option(help: "Examples per row.")
    var cols = 8

    func validate() throws {
        guard (1...Generation.maxTiles / 2).contains(count) else {
            throw ValidationError("--count must be between 1 and \(Generation.maxTiles / 2), got \(count)")
        }
        guard cols >= 1 else { throw ValidationError("--cols must be at least 1, got \(cols)") }
    }

    func run() throws {
        try sheet.draw("reconstructions", data: data) { trained, dataset, _ in
            try Generation.reconstructions(model: trained.model, dataset: dataset!, split: split,
                                           indices: Array(0..<count), cols: cols, style: sheet.style)
        }
    }
}
