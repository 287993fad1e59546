// The vae-ingest command: image datasets (IDX files, folders of PNG and JPEG images) to compressed,
// checksummed shards, one subcommand per way in, and the checks made before any work starts. A
// library so that tests parse command lines in process; the executable only calls `main()`.
import ArgumentParser
import CommandSupport
import VAECluster
import VAECore
import VAEImages
import VAEIngest
import VAEShards

public struct IngestCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vae-ingest",
        abstract: "Turn IDX files or folders of PNG and JPEG images into compressed, checksummed shards with a manifest.",
        version: PipelineVersion.current,
        subcommands: [IDXCommand.self, ImagesCommand.self, Synthetic.self, MakePhotos.self, Verify.self, Info.self])

    public init() {}
}

/// Options shared by the two ways in.
struct OutputOptions: ParsableArguments {
    @Option(help: "The artifact directory to write (created; must not exist or be empty).")
    var out: String

    @Option(help: "Records per shard.")
    var shardSize = 4096

    @Option(help: "zlib compression level, 0 (none) to 9 (smallest).")
    var level = 6

    @Option(help: "Deflate's match search: rle (runs of one byte: nearly as small for images, several times faster) or default (zlib's full search).")
    var strategy: Zlib.Strategy = .rle

    @Flag(help: "Replace an existing non-empty output directory.")
    var force = false

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func validate() throws {
        guard shardSize > 0 else { throw ValidationError("--shard-size must be at least 1") }
        guard (0...9).contains(level) else { throw ValidationError("--level must be 0-9") }
    }

    func parameters(testFraction: Double? = nil) -> IngestParameters {
        IngestParameters(shardSize: shardSize, level: level, strategy: strategy, testFraction: testFraction)
    }

    /// The one line printed on success, and on stderr a one-line notice when the test split is
    /// empty, saying why when `why` does and naming `testOptions`, the options that make one
    /// (nothing with --quiet, nothing on ranks other than 0).
    func report(_ manifest: Manifest?, testOptions: String, why: String? = nil) {
        guard !quiet, let manifest else { return }
        printOut("wrote \(out): \(manifest.train.count) train + \(manifest.test.count) test examples, "
            + "\(manifest.train.shards.count + manifest.test.shards.count) shards")
        if manifest.test.count == 0 {
            printError("vae-ingest: notice: no test split\(why.map { " (\($0))" } ?? ""); \(testOptions) makes one")
        }
    }
}

extension Zlib.Strategy: ExpressibleByArgument {}

struct IDXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idx", abstract: "Ingest IDX files (the MNIST format), gzipped or raw.")

    @Option(help: "Training images (idx3, unsigned bytes).")
    var images: String

    @Option(help: "Training labels (idx1, unsigned bytes).")
    var labels: String?

    @Option(help: "Test images (idx3).")
    var testImages: String?

    @Option(help: "Test labels (idx1).")
    var testLabels: String?

    @Option(help: "Number of classes: labels must be below it (10 for MNIST and Fashion-MNIST).")
    var classes = 10

    @Option(help: ArgumentHelp("The classes' names in label order: a file of one name per line, or a,b,c (default 0, 1, ...).", valueName: "file|names"))
    var labelNames: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...256).contains(classes) else { throw ValidationError("--classes must be 1 to 256") }
        if labelNames != nil && labels == nil { throw ValidationError("--label-names goes with --labels") }
    }

    func run() throws {
        try reportingErrors("vae-ingest", collectiveErrors: true) { cluster in
            var paths = IDXIngest.Paths(
                images: images, labels: labels, testImages: testImages, testLabels: testLabels, classes: classes)
            if let labelNames {
                paths.labelNames = try IDXIngest.labelNames(labelNames)
                paths.classes = paths.labelNames!.count
            }
            output.report(try IDXIngest.ingest(paths, parameters: output.parameters(), to: output.out, force: output.force,
                                               ranks: cluster),
                          testOptions: "--test-images FILE (with --test-labels FILE for labelled data)")
        }
    }
}

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Ingest a folder of PNG and JPEG images: class subfolders (images at any depth below them) give labels, a flat folder none.",
        aliases: ["png"])

    @Option(help: "The folder of training images.")
    var root: String

    @Option(help: "A separate folder of test images, with the same class subfolders.")
    var testRoot: String?

    @Option(help: "Hold out this fraction of --root as the test split, chosen per file by a hash of its path (and at least one image of each class of two or more).")
    var testFraction: Double?

    @Option(help: "Make every image WxH (width x height, e.g. 64x64); without it every image must have the first one's size.")
    var size: ImageSize?

    @Option(help: "How --size fits an image: crop (the centred region of the target's shape), pad (fit inside, fill with --background) or stretch.")
    var fit: Fit = .crop

    @Option(help: "Keep gray (BT.601 luma, 1 channel) or rgb (3 channels).")
    var color: ColorMode = .gray

    @Option(help: "R,G,B (or one gray level) shown where an image is transparent or padded.")
    var background: RGBColor = .black

    @Flag(help: "Leave out files that cannot be read or decoded (listed in the manifest) instead of stopping at the first.")
    var skipBad = false

    @Flag(help: "Print on stderr the thread seconds spent reading, decoding, resizing and compressing.")
    var phases = false

    @Option(help: "Threads reading and decoding images (default: every core, divided among the ranks mpirun starts on this machine). The output is the same for any count.")
    var threads: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if testRoot != nil && testFraction != nil {
            throw ValidationError("give --test-root or --test-fraction, not both")
        }
        if let testFraction, !(0..<1).contains(testFraction) {
            throw ValidationError("--test-fraction must be at least 0 and below 1")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1 to 256") }
    }

    func run() throws {
        try reportingErrors("vae-ingest", collectiveErrors: true) { cluster in
            let preparation = ImagePreparation(
                color: color, resize: size.map { ResizeRule(width: $0.width, height: $0.height, fit: fit, background: background) },
                background: background)
            let times = phases ? IngestPhaseTimes() : nil
            let request = ImageFolder.Request(root: root, testRoot: testRoot, testFraction: testFraction,
                                              preparation: preparation, skipBad: skipBad, times: times,
                                              threads: threads ?? cluster.coresPerLocalRank)
            let manifest = try ImageFolder.ingest(request, parameters: output.parameters(), to: output.out, force: output.force,
                                                  ranks: cluster)
            output.report(manifest, testOptions: "--test-fraction F or --test-root DIR",
                          why: testFraction.map { "--test-fraction \($0) held out no image" }
                            ?? testRoot.map { "no image of --test-root \($0) was usable" })
            if let times { printError("phases\(cluster.isDistributed ? " (rank \(cluster.rank))" : ""): \(times.summary)") }
            if !output.quiet, let skipped = manifest?.skipped, !skipped.isEmpty {
                printOut("skipped \(skipped.count) bad file(s):")
                for file in skipped { printOut("  \(file.path): \(file.reason)") }
            }
        }
    }
}

extension ImageSize: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

extension Fit: ExpressibleByArgument {}
extension ColorMode: ExpressibleByArgument {}

struct Synthetic: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a small labelled dataset of bars, boxes and diagonals (for smoke tests and demos).")

    @Option(help: "Training images.")
    var train = 512

    @Option(help: "Test images.")
    var test = 128

    @Option(help: "Image side in pixels.")
    var size = 12

    @Option(help: "Seed of the drawing.")
    var seed: UInt64 = 1

    @Option(help: "gray (1 channel) or rgb (3: each shape in a color).")
    var color: ColorMode = .gray

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard train > 0, test >= 0 else { throw ValidationError("--train must be at least 1 and --test at least 0") }
        guard (4...256).contains(size) else { throw ValidationError("--size must be 4 to 256") }
    }

    func run() throws {
        try reportingErrors("vae-ingest", collectiveErrors: true) { cluster in
            output.report(try SyntheticShapes.ingest(train: train, test: test, size: size, seed: seed, color: color,
                                                     parameters: output.parameters(), to: output.out, force: output.force,
                                                     ranks: cluster),
                          testOptions: "--test N")
        }
    }
}

struct MakePhotos: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-photos",
        abstract: "Write a folder of textured, photo-like JPEGs in class folders (for benchmarks and demos).")

    @Option(help: "The folder to create (class-0/photo-00000.jpg, ...).")
    var out: String

    @Option(help: "Photos in all.")
    var count = 100

    @Option(help: "Class folders; photo n goes to class n % classes.")
    var classes = 10

    @Option(help: "Width and height, WxH.")
    var size = ImageSize("640x480")!

    @Option(help: "JPEG quality, 1-100.")
    var quality = 90

    func validate() throws {
        guard count > 0, (1...1000).contains(classes) else { throw ValidationError("--count must be at least 1 and --classes 1 to 1000") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1-100") }
    }

    func run() throws {
        try reportingErrors("vae-ingest") {
            try SyntheticPhotos.writeFolder(out, count: count, classes: classes, width: size.width, height: size.height, quality: quality)
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read every shard and check every checksum and count against the manifest.")

    @Argument(help: "The artifact directory.")
    var directory: String

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        try reportingErrors("vae-ingest") {
            let dataset = try ShardDataset(directory: directory)
            try dataset.verify()
            if !quiet {
                let shards = dataset.shards(.train).count + dataset.shards(.test).count
                printOut("ok \(directory): \(shards) shards, \(dataset.count(.train)) train + \(dataset.count(.test)) test examples")
            }
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an artifact: counts per split and class, image size, shards, bytes, source.")

    @Argument(help: "The artifact directory.")
    var directory: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try reportingErrors("vae-ingest") {
            let summary = ArtifactSummary(try ShardDataset(directory: directory))
            if json {
                printOut(String(decoding: try JSONCoding.encode(summary).dropLast(), as: UTF8.self))
            } else {
                summary.text.forEach(printOut)
            }
        }
    }
}
