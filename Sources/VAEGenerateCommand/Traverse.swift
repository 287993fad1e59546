// vae-generate traverse: one latent dimension at a time swept across its range.
import ArgumentParser
import VAEShards
import VAEVisual

struct Traverse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One row per latent dimension, that dimension swept over [-range, range].",
        discussion: """
            The other dimensions stay at the code mu of example --index of --split (with --data), \
            or at 0. Tile k of a row sets the dimension to -range + 2·range·k/(steps - 1).
            """)

    @OptionGroup var sheet: SheetOptions

    @Option(help: "Tiles per row (2 to \(Generation.maxSteps)), both ends of the range included.")
    var steps = 11

    @Option(help: "Sweep each dimension over [-range, range].")
    var range: Float = 3

    @Option(help: "The dimensions to sweep, numbered from 1 and separated by commas (default: all).")
    var dims: String?

    @Option(help: "A shard artifact: the image shape, and the example of --index.")
    var data: String?

    @Option(help: "Start from the code of this example of --split (needs --data); without it, from 0.")
    var index: Int?

    @Option(help: "The split of --index: train or test.")
    var split: Split = .test

    @Option(name: .customLong("class"), help: ArgumentHelp("A conditional model: the class to decode with, a name or an index from 0 (default: that of the example of --index).", valueName: "name|index"))
    var classChoice: String?

    func validate() throws {
        guard (2...Generation.maxSteps).contains(steps) else {
            throw ValidationError("--steps must be between 2 and \(Generation.maxSteps), got \(steps)")
        }
        guard range > 0, range <= 100 else { throw ValidationError("--range must be positive and at most 100, got \(range)") }
        if index != nil && data == nil { throw ValidationError("--index needs --data, the artifact that holds the example") }
    }

    func run() throws {
        try sheet.draw("traverse", data: data) { trained, dataset, shape in
            let zs = trained.model.config.latentSize
            let chosen = try dims.map { try Generation.parseDimensions($0, latent: zs) } ?? Array(0..<zs)
            var base = [Float](repeating: 0, count: zs)
            var label = try classChoice.map { try Generation.classIndex($0, model: trained.model) }
            if let index, let dataset {
                base = try Generation.codes(model: trained.model, dataset: dataset, split: split, indices: [index])[0]
                label = try label ?? Generation.exampleLabels(model: trained.model, dataset: dataset, split: split, indices: [index])?[0]
            }
            return try Generation.traversal(model: trained.model, shape: shape, base: base, dims: chosen, steps: steps,
                                            range: range, style: sheet.style, label: label)
        }
    }
}
