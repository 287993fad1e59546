// vae-ingest: image datasets (IDX files or PNG folders) to compressed, checksummed shards.
import ArgumentParser
import CommandSupport
import VAECluster
import VAEData

@main
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae-ingest",
        abstract: "Turn IDX files or PNG folders into compressed, checksummed shards with a manifest.",
        version: PipelineVersion.current,
        subcommands: [IDXCommand.self, PNGCommand.self, Synthetic.self, Verify.self, Info.self])
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

    func write(_ input: IngestInput, testFraction: Double? = nil) throws {
        let parameters = IngestParameters(shardSize: shardSize, level: level, strategy: strategy, testFraction: testFraction)
        let manifest = try ArtifactWriter.write(input, parameters: parameters, to: out, force: force)
        if !quiet {
            printOut("wrote \(out): \(manifest.train.count) train + \(manifest.test.count) test examples, "
                + "\(manifest.train.shards.count + manifest.test.shards.count) shards")
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

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...256).contains(classes) else { throw ValidationError("--classes must be 1 to 256") }
    }

    func run() throws {
        try reportingErrors("vae-ingest") { cluster in
            guard cluster.isRoot else { return }  // under mpirun, rank 0 ingests alone (docs/DISTRIBUTED.md)
            let paths = IngestSources.IDXPaths(
                images: images, labels: labels, testImages: testImages, testLabels: testLabels, classes: classes)
            try output.write(try IngestSources.idx(paths))
        }
    }
}

struct PNGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "png", abstract: "Ingest a folder of PNGs: class subfolders give labels, a flat folder none.")

    @Option(help: "The folder of training images.")
    var root: String

    @Option(help: "A separate folder of test images, with the same class subfolders.")
    var testRoot: String?

    @Option(help: "Hold out this fraction of --root as the test split, chosen per file by a hash of its path.")
    var testFraction: Double?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if testRoot != nil && testFraction != nil {
            throw ValidationError("give --test-root or --test-fraction, not both")
        }
        if let testFraction, !(0..<1).contains(testFraction) {
            throw ValidationError("--test-fraction must be at least 0 and below 1")
        }
    }

    func run() throws {
        try reportingErrors("vae-ingest") { cluster in
            guard cluster.isRoot else { return }  // under mpirun, rank 0 ingests alone (docs/DISTRIBUTED.md)
            let input = try IngestSources.png(root: root, testRoot: testRoot, testFraction: testFraction)
            try output.write(input, testFraction: testFraction)
        }
    }
}

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

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard train > 0, test >= 0 else { throw ValidationError("--train must be at least 1 and --test at least 0") }
        guard (4...256).contains(size) else { throw ValidationError("--size must be 4 to 256") }
    }

    func run() throws {
        try reportingErrors("vae-ingest") { cluster in
            guard cluster.isRoot else { return }  // under mpirun, rank 0 ingests alone (docs/DISTRIBUTED.md)
            try output.write(SyntheticShapes.input(train: train, test: test, size: size, seed: seed))
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
