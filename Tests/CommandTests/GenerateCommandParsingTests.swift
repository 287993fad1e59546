// vae-generate's command line parsed in process: each subcommand's options, the sheet options they
// share and the plots' typed values, with the defaults the help states, and every value validate()
// refuses pinned to its message.
import ArgumentParser
import VAECore
import VAEShards
import VAEImages
@testable import VAEGenerateCommand
import VAEVisual
import XCTest

final class GenerateCommandParsingTests: XCTestCase {
    /// What every sheet needs.
    private let sheet = ["--checkpoint", "model.ckpt", "--out", "sheet.png"]

    private func parse<C: ParsableCommand>(_ arguments: [String], as type: C.Type,
                                           file: StaticString = #filePath, line: UInt = #line) throws -> C {
        try parseCommand(GenerateCommand.self, arguments, as: type, file: file, line: line)
    }

    private func error(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        parseError(GenerateCommand.self, arguments, file: file, line: line)
    }

    func testTheSubcommands() {
        XCTAssertEqual(GenerateCommand.configuration.subcommands.map { $0._commandName },
                       ["samples", "classes", "reconstructions", "manifold", "traverse", "interpolate", "decode", "pseudo-inputs",
                        "curves", "scatter", "runs", "report"])
        XCTAssertEqual(error(["sample"]), "Unexpected argument 'sample'")
    }

    func testTheSheetOptions() throws {
        let defaults = try parse(["samples"] + sheet, as: Samples.self).sheet
        XCTAssertEqual([defaults.checkpoint, defaults.out], ["model.ckpt", "sheet.png"])
        XCTAssertEqual(defaults.seed, 1)
        XCTAssertEqual(defaults.style, SheetStyle(scale: 1, pad: 2, background: 128))

        let given = try parse(["classes"] + sheet + ["--scale", "\(SheetLayout.maxScale)", "--pad", "\(SheetLayout.maxPad)",
                                                     "--background", "255,0,10", "--seed", "9"], as: Classes.self).sheet
        XCTAssertEqual(given.seed, 9)
        XCTAssertEqual(given.style, SheetStyle(scale: SheetLayout.maxScale, pad: SheetLayout.maxPad,
                                               background: RGBColor(red: 255, green: 0, blue: 10)))
        XCTAssertEqual(try parse(["manifold"] + sheet + ["--pad", "0"], as: Manifold.self).sheet.style.pad, 0)
    }

    func testEachSheetsOptions() throws {
        let samples = try parse(["samples"] + sheet, as: Samples.self)
        XCTAssertEqual([samples.rows, samples.cols], [8, 8])
        XCTAssertEqual(samples.temperature, 1)
        XCTAssertFalse(samples.samplePixels)
        XCTAssertNil(samples.classChoice)
        XCTAssertNil(samples.data)
        let drawn = try parse(["samples"] + sheet + ["--rows", "2", "--cols", "3", "--temperature", "0", "--sample-pixels",
                                                     "--class", "shirt", "--data", "d"], as: Samples.self)
        XCTAssertEqual([drawn.rows, drawn.cols], [2, 3])
        XCTAssertEqual(drawn.temperature, 0)
        XCTAssertTrue(drawn.samplePixels)
        XCTAssertEqual([drawn.classChoice, drawn.data], ["shirt", "d"])

        XCTAssertEqual(try parse(["classes"] + sheet, as: Classes.self).cols, 10)

        let reconstructions = try parse(["reconstructions"] + sheet + ["--data", "d"], as: Reconstructions.self)
        XCTAssertEqual(reconstructions.data, "d")
        XCTAssertEqual(reconstructions.split, .test)
        XCTAssertEqual([reconstructions.count, reconstructions.cols], [16, 8])
        XCTAssertEqual(try parse(["reconstructions"] + sheet + ["--data", "d", "--split", "train"], as: Reconstructions.self).split, .train)

        let manifold = try parse(["manifold"] + sheet + ["--class", "3"], as: Manifold.self)
        XCTAssertEqual(manifold.steps, 20)
        XCTAssertEqual(manifold.dims, "1,2")
        XCTAssertEqual(manifold.classChoice, "3")

        let traverse = try parse(["traverse"] + sheet, as: Traverse.self)
        XCTAssertEqual(traverse.steps, 11)
        XCTAssertEqual(traverse.range, 3)
        XCTAssertNil(traverse.dims)
        XCTAssertNil(traverse.index)
        XCTAssertEqual(traverse.split, .test)
        let swept = try parse(["traverse"] + sheet + ["--dims", "2,5", "--data", "d", "--index", "11", "--split", "train",
                                                      "--range", "100", "--steps", "\(Generation.maxSteps)"], as: Traverse.self)
        XCTAssertEqual(swept.dims, "2,5")
        XCTAssertEqual(swept.index, 11)
        XCTAssertEqual(swept.split, .train)
        XCTAssertEqual(swept.range, 100)
        XCTAssertEqual(swept.steps, Generation.maxSteps)

        let interpolate = try parse(["interpolate"] + sheet + ["--data", "d", "--from", "0", "--to", "39"], as: Interpolate.self)
        XCTAssertEqual([interpolate.from, interpolate.to, interpolate.steps], [0, 39, 10])
        XCTAssertEqual(interpolate.split, .test)
    }

    func testDecodeWritesADirectoryOrASheet() throws {
        let directory = try parse(["decode", "--checkpoint", "m.ckpt", "--latents", "l.csv", "--out", "decoded"], as: Decode.self)
        XCTAssertEqual(directory.latents, "l.csv")
        XCTAssertFalse(directory.writesSheet)
        XCTAssertNil(directory.className)
        XCTAssertEqual(directory.cols, 8)
        XCTAssertFalse(directory.force)
        let sheet = try parse(["decode", "--checkpoint", "m.ckpt", "--latents", "l.csv", "--out", "Decoded.PNG",
                               "--class", "Sneaker", "--cols", "5", "--force"], as: Decode.self)
        XCTAssertTrue(sheet.writesSheet)
        XCTAssertEqual(sheet.className, "Sneaker")
        XCTAssertEqual(sheet.cols, 5)
        XCTAssertEqual(error(["decode", "--checkpoint", "m.ckpt", "--latents", "l.csv", "--out", "d", "--cols", "0"]),
                       "--cols must be at least 1, got 0")
        XCTAssertEqual(error(["decode", "--checkpoint", "m.ckpt", "--out", "d"]), "Missing expected argument '--latents <latents>'")
    }

    func testThePlotsTablesAndReportOptions() throws {
        let curves = try parse(["curves", "--csv", "a.csv", "--csv", "b.csv", "--x", "step", "--y", "variance,mean",
                                "--where", "tensor=encoder", "--where", "note=", "--by", "estimator", "--log-y", "--title", "t",
                                "--out", "c.png"], as: CurvesCommand.self)
        XCTAssertEqual(curves.files, ["a.csv", "b.csv"])
        XCTAssertEqual(curves.x, "step")
        XCTAssertEqual(curves.columns, ["variance", "mean"])
        XCTAssertEqual(curves.filters, [RowFilter(column: "tensor", value: "encoder"), RowFilter(column: "note", value: "")])
        XCTAssertEqual([curves.by, curves.title], ["estimator", "t"])
        XCTAssertTrue(curves.logY)
        XCTAssertEqual([curves.width, curves.height], [Curves.defaultWidth, Curves.defaultHeight])

        let scatter = ["scatter", "--latents", "latents.csv", "--out", "s.png"]
        let automatic = try parse(scatter, as: ScatterCommand.self)
        XCTAssertEqual(automatic.projection, .automatic)
        XCTAssertEqual(automatic.split, .test)
        XCTAssertEqual(automatic.maxPoints, 10_000)
        XCTAssertEqual(try parse(scatter + ["--dims", "3,1"], as: ScatterCommand.self).projection, .dimensions(3, 1))
        XCTAssertEqual(try parse(scatter + ["--pca", "--split", "all"], as: ScatterCommand.self).projection, .principalComponents)

        let runs = try parse(["runs", "--artifacts", "artifacts/smoke"], as: RunsCommand.self)
        XCTAssertEqual(runs.artifacts, "artifacts/smoke")
        XCTAssertEqual(runs.format, .table)
        XCTAssertNil(runs.sort)
        XCTAssertFalse(runs.all)
        let sorted = try parse(["runs", "--artifacts", "a", "--format", "json", "--sort", "test_neg_elbo", "--all"], as: RunsCommand.self)
        XCTAssertEqual(sorted.format, .json)
        XCTAssertEqual(sorted.sort, "test_neg_elbo")
        XCTAssertTrue(sorted.all)

        XCTAssertEqual(try parse(["report", "--artifacts", "a"], as: ReportCommand.self).artifacts, "a")
    }

    func testBadSheetOptionsAreRefusedBeforeAnyWork() {
        XCTAssertEqual(error(["samples", "--checkpoint", "m", "--out", ""]), "--out must name a PNG file")
        XCTAssertEqual(error(["samples"] + sheet + ["--scale", "0"]), "--scale must be between 1 and \(SheetLayout.maxScale), got 0")
        XCTAssertEqual(error(["samples"] + sheet + ["--scale", "\(SheetLayout.maxScale + 1)"]),
                       "--scale must be between 1 and \(SheetLayout.maxScale), got \(SheetLayout.maxScale + 1)")
        XCTAssertEqual(error(["samples"] + sheet + ["--pad", "\(SheetLayout.maxPad + 1)"]),
                       "--pad must be between 0 and \(SheetLayout.maxPad), got \(SheetLayout.maxPad + 1)")
        XCTAssertEqual(error(["samples"] + sheet + ["--background", "300"]), "The value '300' is invalid for '--background <background>'")
        XCTAssertEqual(error(["samples"] + sheet + ["--rows", "0"]), "--rows and --cols must be at least 1, got 0x8")
        XCTAssertEqual(error(["samples"] + sheet + ["--temperature", "101"]), "--temperature must be between 0 and 100, got 101.0")
        XCTAssertEqual(error(["samples"] + sheet + ["--temperature=-1"]), "--temperature must be between 0 and 100, got -1.0")
        XCTAssertEqual(error(["classes"] + sheet + ["--cols", "0"]), "--cols must be at least 1, got 0")
        XCTAssertEqual(error(["reconstructions"] + sheet + ["--data", "d", "--count", "0"]),
                       "--count must be between 1 and \(Generation.maxTiles / 2), got 0")
        XCTAssertEqual(error(["reconstructions"] + sheet + ["--data", "d", "--cols", "0"]), "--cols must be at least 1, got 0")
        XCTAssertEqual(error(["reconstructions"] + sheet + ["--data", "d", "--split", "all"]),
                       "The value 'all' is invalid for '--split <split>'. Please provide one of 'train' and 'test'.")
        XCTAssertEqual(error(["reconstructions"] + sheet), "Missing expected argument '--data <data>'")
        XCTAssertEqual(error(["manifold"] + sheet + ["--steps", "1"]), "--steps must be between 2 and \(Generation.maxSteps), got 1")
        XCTAssertEqual(error(["traverse"] + sheet + ["--steps", "\(Generation.maxSteps + 1)"]),
                       "--steps must be between 2 and \(Generation.maxSteps), got \(Generation.maxSteps + 1)")
        XCTAssertEqual(error(["traverse"] + sheet + ["--range", "0"]), "--range must be positive and at most 100, got 0.0")
        XCTAssertEqual(error(["traverse"] + sheet + ["--range", "100.5"]), "--range must be positive and at most 100, got 100.5")
        XCTAssertEqual(error(["traverse"] + sheet + ["--index", "3"]), "--index needs --data, the artifact that holds the example")
        XCTAssertEqual(error(["interpolate"] + sheet + ["--data", "d", "--from", "0", "--to", "1", "--steps", "1"]),
                       "--steps must be between 2 and \(Generation.maxSteps), got 1")
        XCTAssertEqual(error(["interpolate"] + sheet + ["--data", "d", "--from", "0"]), "Missing expected argument '--to <to>'")
    }

    func testBadPlotOptionsAreRefusedBeforeAnyWork() {
        let curves = ["curves", "--x", "epoch", "--y", "loss", "--out", "c.png"]
        XCTAssertEqual(error(curves), "give at least one --csv file")
        XCTAssertEqual(error(curves + ["--csv", "m.csv", "--y", ","]), "--y must name one or more columns separated by commas, got ','")
        XCTAssertEqual(error(["curves", "--csv", "m.csv", "--x", "epoch", "--y", "loss", "--out", ""]), "--out must name a PNG file")
        XCTAssertEqual(error(curves + ["--csv", "m.csv", "--width", "199"]),
                       "--width and --height must be 200 to \(PlotCanvas.maxSide) and 150 to \(PlotCanvas.maxSide) pixels, got 199x\(Curves.defaultHeight)")
        XCTAssertEqual(error(curves + ["--csv", "m.csv", "--height", "\(PlotCanvas.maxSide + 1)"]),
                       "--width and --height must be 200 to \(PlotCanvas.maxSide) and 150 to \(PlotCanvas.maxSide) pixels, got \(Curves.defaultWidth)x\(PlotCanvas.maxSide + 1)")
        XCTAssertEqual(error(curves + ["--csv", "m.csv", "--where", "epoch"]), "The value 'epoch' is invalid for '--where <COLUMN=VALUE>'")
        XCTAssertEqual(error(curves + ["--csv", "m.csv", "--where", "=1"]), "The value '=1' is invalid for '--where <COLUMN=VALUE>'")

        let scatter = ["scatter", "--latents", "latents.csv", "--out", "s.png"]
        XCTAssertEqual(error(scatter + ["--pca", "--dims", "1,2"]), "give --dims or --pca, not both")
        XCTAssertEqual(error(scatter + ["--max-points", "0"]), "--max-points must be at least 1, got 0")
        XCTAssertEqual(error(["scatter", "--latents", "latents.csv", "--out", ""]), "--out must name a PNG file")
        for dims in ["0,1", "1,x", "1,2,3", "2"] {
            XCTAssertEqual(error(scatter + ["--dims", dims]), "The value '\(dims)' is invalid for '--dims <dims>'")
        }
        XCTAssertEqual(error(scatter + ["--split", "both"]),
                       "The value 'both' is invalid for '--split <split>'. Please provide one of 'train', 'test' or 'all'.")

        XCTAssertEqual(error(["runs", "--artifacts", "a", "--format", "xml"]),
                       "The value 'xml' is invalid for '--format <format>'. Please provide one of 'table', 'csv', 'md' or 'json'.")
        XCTAssertEqual(error(["report"]), "Missing expected argument '--artifacts <artifacts>'")
    }
}
