// vae-generate interpolate: the decoder along the line between the codes of two examples.
import ArgumentParser
import VAEShards
import VAEVisual

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One row decoded along the segment between the codes mu of two examples.",
        discussion: "Tile k decodes z = a + (b - a)·k/(steps - 1): the first tile is example --from, the last --to.")

    @OptionGroup var sheet: SheetOptions

    @Option(help: "The shard artifact holding the two examples.")
    var data: String

    @Option(help: "The split of the examples: train or test.")
    var split: Split = .test

    @Option(help: "The index of the first example within the split.")
    var from: Int

    @Option(help: "The index of the last example within the split.")
    var to: Int

    @Option(help: "Tiles (2 to \(Generation.maxSteps)), both ends included.")
    var steps = 10

    func validate() throws {
        guard (2...Generation.maxSteps).contains(steps) else {
            throw ValidationError("--steps must be between 2 and \(Generation.maxSteps), got \(steps)")
        }
    }

    func run() throws {
        try sheet.draw("interpolate", data: data) { trained, dataset, shape in
            let codes = try Generation.codes(model: trained.model, dataset: dataset!, split: split, indices: [from, to])
            // A conditional model decodes the whole row with the class of --from.
            let label = try Generation.exampleLabels(model: trained.model, dataset: dataset!, split: split, indices: [from])?[0]
            return try Generation.interpolation(model: trained.model, shape: shape, from: codes[0], to: codes[1],
                                                steps: steps, style: sheet.style, label: label)
        }
    }
}
