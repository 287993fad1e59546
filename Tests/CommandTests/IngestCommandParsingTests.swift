// vae-ingest's command line parsed in process: each subcommand's options become typed values with
// the defaults its help states, and every value validate() refuses is pinned to its message.
import ArgumentParser
import VAECore
import VAEImages
import VAEIngest
import VAEShards
@testable import VAEIngestCommand
import XCTest

final class IngestCommandParsingTests: XCTestCase {
    private func parse<C: ParsableCommand>(_ arguments: [String], as type: C.Type,
                                           file: StaticString = #filePath, line: UInt = #line) throws -> C {
        try parseCommand(IngestCommand.self, arguments, as: type, file: file, line: line)
    }

    private func error(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        parseError(IngestCommand.self, arguments, file: file, line: line)
    }

    func testTheSubcommands() throws {
        XCTAssertEqual(IngestCommand.configuration.subcommands.map { $0._commandName },
                       ["idx", "images", "synthetic", "make-photos", "verify", "info"])
        XCTAssertEqual(try parse(["png", "--root", "r", "--out", "o"], as: ImagesCommand.self).root, "r", "png is images")
        XCTAssertEqual(error(["jpeg"]), "Unexpected argument 'jpeg'")
    }

    func testIDXOptionsAndTheOutputDefaults() throws {
        let idx = try parse(["idx", "--images", "i.gz", "--labels", "l", "--test-images", "ti", "--test-labels", "tl",
                             "--classes", "3", "--label-names", "a,b,c", "--out", "o"], as: IDXCommand.self)
        XCTAssertEqual([idx.images, idx.labels, idx.testImages, idx.testLabels, idx.labelNames], ["i.gz", "l", "ti", "tl", "a,b,c"])
        XCTAssertEqual(idx.classes, 3)
        XCTAssertEqual(idx.output.out, "o")
        XCTAssertEqual([idx.output.shardSize, idx.output.level], [4096, 6])
        XCTAssertEqual(idx.output.strategy, .rle)
        XCTAssertEqual([idx.output.force, idx.output.quiet], [false, false])
        XCTAssertEqual(idx.output.parameters(), IngestParameters(), "the library's defaults")

        let given = try parse(["idx", "--images", "i", "--out", "o", "--shard-size", "7", "--level", "0", "--strategy", "default",
                               "--force", "--quiet"], as: IDXCommand.self)
        XCTAssertNil(given.labels)
        XCTAssertEqual(given.classes, 10)
        XCTAssertEqual(given.output.parameters(), IngestParameters(shardSize: 7, level: 0, strategy: .default))
        XCTAssertEqual([given.output.force, given.output.quiet], [true, true])
    }

    func testImagesOptionsAreTyped() throws {
        let images = try parse(["images", "--root", "r", "--out", "o", "--size", "64X48", "--fit", "pad", "--color", "rgb",
                                "--background", "255,0,10", "--test-fraction", "0.25", "--skip-bad", "--phases",
                                "--threads", "3"], as: ImagesCommand.self)
        XCTAssertEqual(images.size, ImageSize("64x48"))
        XCTAssertEqual([images.size?.width, images.size?.height], [64, 48])
        XCTAssertEqual(images.fit, .pad)
        XCTAssertEqual(images.color, .rgb)
        XCTAssertEqual(images.background, RGBColor(red: 255, green: 0, blue: 10))
        XCTAssertEqual(images.testFraction, 0.25)
        XCTAssertEqual([images.skipBad, images.phases], [true, true])
        XCTAssertEqual(images.threads, 3)

        let defaults = try parse(["images", "--root", "r", "--test-root", "t", "--out", "o"], as: ImagesCommand.self)
        XCTAssertEqual(defaults.testRoot, "t")
        XCTAssertNil(defaults.size)
        XCTAssertNil(defaults.testFraction)
        XCTAssertNil(defaults.threads)
        XCTAssertEqual(defaults.fit, .crop)
        XCTAssertEqual(defaults.color, .gray)
        XCTAssertEqual(defaults.background, .black)
        XCTAssertEqual(try parse(["images", "--root", "r", "--out", "o", "--background", "7"], as: ImagesCommand.self).background,
                       RGBColor(red: 7, green: 7, blue: 7))
    }

    func testSyntheticMakePhotosVerifyAndInfo() throws {
        let synthetic = try parse(["synthetic", "--out", "o"], as: Synthetic.self)
        XCTAssertEqual([synthetic.train, synthetic.test, synthetic.size], [512, 128, 12])
        XCTAssertEqual(synthetic.seed, 1)
        XCTAssertEqual(synthetic.color, .gray)
        let given = try parse(["synthetic", "--out", "o", "--train", "1", "--test", "0", "--size", "256", "--seed", "18446744073709551615",
                               "--color", "rgb"], as: Synthetic.self)
        XCTAssertEqual([given.train, given.test, given.size], [1, 0, 256])
        XCTAssertEqual(given.seed, UInt64.max)
        XCTAssertEqual(given.color, .rgb)

        let photos = try parse(["make-photos", "--out", "p"], as: MakePhotos.self)
        XCTAssertEqual(photos.out, "p")
        XCTAssertEqual([photos.count, photos.classes, photos.quality], [100, 10, 90])
        XCTAssertEqual(photos.size, ImageSize("640x480"))
        XCTAssertEqual(try parse(["make-photos", "--out", "p", "--size", "32x16"], as: MakePhotos.self).size, ImageSize("32x16"))

        let verify = try parse(["verify", "a", "--quiet"], as: Verify.self)
        XCTAssertEqual(verify.directory, "a")
        XCTAssertTrue(verify.quiet)
        let info = try parse(["info", "--json", "a"], as: Info.self)
        XCTAssertEqual(info.directory, "a")
        XCTAssertTrue(info.json)
    }

    func testValuesOutsideATypeAreRefused() {
        XCTAssertEqual(error(["idx", "--images", "i", "--out", "o", "--strategy", "fast"]),
                       "The value 'fast' is invalid for '--strategy <strategy>'. Please provide one of 'default' and 'rle'.")
        let images = ["images", "--root", "r", "--out", "o"]
        XCTAssertEqual(error(images + ["--size", "64"]), "The value '64' is invalid for '--size <size>'")
        XCTAssertEqual(error(images + ["--size", "0x5"]), "The value '0x5' is invalid for '--size <size>'")
        XCTAssertEqual(error(images + ["--size", "4097x1"]), "The value '4097x1' is invalid for '--size <size>'")
        XCTAssertEqual(error(images + ["--fit", "zoom"]),
                       "The value 'zoom' is invalid for '--fit <fit>'. Please provide one of 'crop', 'pad' or 'stretch'.")
        XCTAssertEqual(error(images + ["--color", "cmyk"]),
                       "The value 'cmyk' is invalid for '--color <color>'. Please provide one of 'gray' and 'rgb'.")
        XCTAssertEqual(error(images + ["--background", "1,2"]), "The value '1,2' is invalid for '--background <background>'")
        XCTAssertEqual(error(images + ["--background", "256"]), "The value '256' is invalid for '--background <background>'")
        XCTAssertEqual(error(["idx", "--out", "o"]), "Missing expected argument '--images <images>'")
        XCTAssertEqual(error(["verify"]), "Missing expected argument '<directory>'")
    }

    func testCombinationsAreCheckedBeforeAnyWork() {
        let idx = ["idx", "--images", "i", "--out", "o"]
        XCTAssertEqual(error(idx + ["--shard-size", "0"]), "--shard-size must be at least 1")
        XCTAssertEqual(error(idx + ["--level", "10"]), "--level must be 0-9")
        XCTAssertEqual(error(idx + ["--level=-1"]), "--level must be 0-9")
        XCTAssertEqual(error(idx + ["--classes", "0"]), "--classes must be 1 to 256")
        XCTAssertEqual(error(idx + ["--classes", "257"]), "--classes must be 1 to 256")
        XCTAssertEqual(error(idx + ["--label-names", "a,b"]), "--label-names goes with --labels")

        let images = ["images", "--root", "r", "--out", "o"]
        XCTAssertEqual(error(images + ["--test-root", "t", "--test-fraction", "0.1"]), "give --test-root or --test-fraction, not both")
        XCTAssertEqual(error(images + ["--test-fraction", "1"]), "--test-fraction must be at least 0 and below 1")
        XCTAssertEqual(error(images + ["--test-fraction=-0.1"]), "--test-fraction must be at least 0 and below 1")
        XCTAssertEqual(error(images + ["--threads", "0"]), "--threads must be 1 to 256")
        XCTAssertEqual(error(images + ["--threads", "257"]), "--threads must be 1 to 256")
        XCTAssertEqual(error(images + ["--shard-size", "0"]), "--shard-size must be at least 1", "the output options are checked too")

        XCTAssertEqual(error(["synthetic", "--out", "o", "--train", "0"]), "--train must be at least 1 and --test at least 0")
        XCTAssertEqual(error(["synthetic", "--out", "o", "--test=-1"]), "--train must be at least 1 and --test at least 0")
        XCTAssertEqual(error(["synthetic", "--out", "o", "--size", "3"]), "--size must be 4 to 256")
        XCTAssertEqual(error(["synthetic", "--out", "o", "--size", "257"]), "--size must be 4 to 256")

        XCTAssertEqual(error(["make-photos", "--out", "p", "--count", "0"]), "--count must be at least 1 and --classes 1 to 1000")
        XCTAssertEqual(error(["make-photos", "--out", "p", "--classes", "1001"]), "--count must be at least 1 and --classes 1 to 1000")
        XCTAssertEqual(error(["make-photos", "--out", "p", "--quality", "0"]), "--quality must be 1-100")
        XCTAssertEqual(error(["make-photos", "--out", "p", "--quality", "101"]), "--quality must be 1-100")
    }
}
