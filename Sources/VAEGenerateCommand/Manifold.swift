// vae-generate manifold: the decoder over a grid of two latent dimensions.
import ArgumentParser
import VAEVisual

struct Manifold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A steps x steps grid decoded over two latent dimensions, the others at 0.",
        discussion: """
            Column c and row r use the standard normal quantiles of p = (k + 0.5)/steps: the first \
            dimension of --dims grows from left to right, the second from bottom to top, so each \
            tile stands for an equal share of the prior's mass (Kingma & Welling 2014, figure 4).
            """)

    @OptionGroup var sheet: SheetOptions

    @Option(help: "Tiles along each side (2 to \(Generation.maxSteps)).")
    var steps = 20

    @Option(help: "The two latent dimensions, numbered from 1: horizontal,vertical.")
    var dims = "1,2"

    @Option(name: .customLong("class"), help: ArgumentHelp("A conditional model: the class to decode with, a name or an index from 0.", valueName: "name|index"))
    var classChoice: String?

    @Option(help: "A shard artifact whose image shape to use (when the checkpoint does not record it and the images are not square).")
    var data: String?

    func validate() throws {
        guard (2...Generation.maxSteps).contains(steps) else {
            throw ValidationError("--steps must be between 2 and \(Generation.maxSteps), got \(steps)")
        }
    }

    func run() throws {
        try sheet.draw("manifold", data: data) { trained, _, shape in
            let chosen = try Generation.parseDimensions(dims, latent: trained.model.config.latentSize)
            guard chosen.count == 2 else {
                throw VisualError("--dims must name exactly two latent dimensions for the manifold, got '\(dims)'")
            }
            return try Generation.manifold(model: trained.model, shape: shape, steps: steps, dims: (chosen[0], chosen[1]),
                                           style: sheet.style, label: try classChoice.map { try Generation.classIndex($0, model: trained.model) })
        }
    }
}
