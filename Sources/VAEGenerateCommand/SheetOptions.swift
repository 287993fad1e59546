// The options every sheet shares, and the one path by which a subcommand turns them into a PNG:
// read the checkpoint, open the data if given, work out the image shape, draw, write.
import ArgumentParser
import Foundation
import CommandSupport
import VAECore
import VAEImages
import VAEShards
import VAEVisual

struct SheetOptions: ParsableArguments {
    @Option(help: "The trained model: a checkpoint written by vae-train.")
    var checkpoint: String

    @Option(help: "The PNG file to write.")
    var out: String

    @Option(help: "Enlarge every image pixel to a K x K block (nearest neighbour), 1 to \(SheetLayout.maxScale).")
    var scale = 1

    @Option(help: "Pixels of background around and between the tiles, 0 to \(SheetLayout.maxPad).")
    var pad = 2

    @Option(help: "The padding's color: R,G,B, or one gray level 0 (black) to 255 (white); gray sheets use its luma.")
    var background: RGBColor = 128

    @Option(help: "The seed of every random draw of the sheet.")
    var seed: UInt64 = 1

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out must name a PNG file") }
        guard (1...SheetLayout.maxScale).contains(scale) else {
            throw ValidationError("--scale must be between 1 and \(SheetLayout.maxScale), got \(scale)")
        }
        guard (0...SheetLayout.maxPad).contains(pad) else {
            throw ValidationError("--pad must be between 0 and \(SheetLayout.maxPad), got \(pad)")
        }
    }

    var style: SheetStyle { SheetStyle(scale: scale, pad: pad, background: background) }

    /// Reads the model (and the data at `data`, if given), draws the sheet and writes it to --out.
    /// Any error becomes one line on stderr and exit status 1, with no file written.
    func draw(_ tool: String, data: String?,
              _ body: (_ trained: TrainedModel, _ dataset: ShardDataset?, _ shape: ImageShape) throws -> Sheet) throws {
        try run(tool, data: data) { trained, dataset, shape in
            try body(trained, dataset, shape).write(to: out)
        }
    }

    /// Reads the model (and the data at `data`, if given), works out the image shape, and calls
    /// `body`. Any error becomes one line on stderr and exit status 1.
    func run(_ tool: String, data: String?,
             _ body: (_ trained: TrainedModel, _ dataset: ShardDataset?, _ shape: ImageShape) throws -> Void) throws {
        try reportingErrors("vae-generate \(tool)") {
            // Pieces of 256 examples, shared among the cores (the bits do not depend on how many).
            let trained = try TrainedModel(checkpoint: checkpoint, batchCapacity: 256,
                                           threads: ProcessInfo.processInfo.activeProcessorCount)
            let dataset = try data.map { try ShardDataset(directory: $0) }
            try body(trained, dataset, try trained.imageShape(data: dataset))
        }
    }
}

extension Split: ExpressibleByArgument {}

