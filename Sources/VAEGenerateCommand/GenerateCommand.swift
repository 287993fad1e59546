// The vae-generate command: PNG sample sheets of a trained model, one subcommand per kind of
// sheet, and the plots, runs table and report of a pipeline. The subcommands only parse and check
// their options; VAEVisual's `Generation` draws the sheets and VAEData's PNG codec writes them,
// atomically, once everything has succeeded. A library so that tests parse command lines in
// process; the executable only calls `main()`.
import ArgumentParser
import VAECore

public struct GenerateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vae-generate",
        abstract: "Draw sample sheets of a trained VAE as 8-bit grayscale PNGs.",
        discussion: """
            Every sheet is a grid of tiles of width = cols·w·scale + (cols+1)·pad and height = \
            rows·h·scale + (rows+1)·pad pixels (at most 16384 a side and 2^26 pixels in all), \
            the same bytes for the same options and --seed. Latent dimensions in --dims are \
            numbered from 1, like the mu_1 ... mu_Z columns of vae-embed. \
            See docs/EMBED_AND_GENERATE.md.
            """,
        version: PipelineVersion.current,
        subcommands: [Samples.self, Classes.self, Reconstructions.self, Manifold.self, Traverse.self, Interpolate.self, Decode.self,
                      PseudoInputs.self,
                      CurvesCommand.self, ScatterCommand.self, RunsCommand.self, ReportCommand.self])

    public init() {}
}
