// swift-tools-version:6.0
// The VAE pipeline: four executables (ingest, train, embed, generate), with vae-bench and vae-fuzz
// beside them, over the Swift libraries below (one concern each) and the C modules they wrap.
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "vae-pipeline",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vae-ingest", targets: ["vae-ingest"]),
        .executable(name: "vae-train", targets: ["vae-train"]),
        .executable(name: "vae-embed", targets: ["vae-embed"]),
        .executable(name: "vae-generate", targets: ["vae-generate"]),
        .executable(name: "vae-bench", targets: ["vae-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: C modules
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libpng behind small C functions that hold its setjmp (include/vae_png.h).
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        // Open MPI's header, for its types only: no pkg-config (whose `-lmpi` would make every
        // binary load libmpi at start). CMPI loads libmpi at run time, only under mpirun.
        .systemLibrary(name: "COpenMPI", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "CMPI", dependencies: ["COpenMPI"], linkerSettings: [.linkedLibrary("dl")]),

        // MARK: Libraries
        // What every library shares: the error type, files and atomic writes, byte helpers, zlib,
        // SHA-256, SplitMix64, JSON coding, the stop flag, the image shape and the limits.
        .target(name: "VAECore", dependencies: ["CZlib", "CCrypto"]),
        // The ranks that share a tool's work (`Ranks`): those of an mpirun job (a single rank
        // without mpirun), and their collectives.
        .target(name: "VAECluster", dependencies: ["CMPI"]),
        // PNG and JPEG decoding and encoding, resizing, one image file prepared for the shards.
        .target(name: "VAEImages", dependencies: ["VAECore", "CPNG", "CTurboJPEG"]),
        // The shard format and its manifest: an artifact written as records arrive (shared among
        // ranks), read back and checked, summarized.
        .target(name: "VAEShards", dependencies: ["VAECore", "VAEImages", "VAECluster", "CZlib"]),
        // The ingest sources: IDX files, folders of PNG and JPEG images, synthetic shapes.
        .target(name: "VAEIngest", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAECluster"]),
        // The model: layers, likelihoods, the latent layer, loss, gradients, Adam, the random
        // generator, inference in pieces, safetensors.
        .target(name: "VAEModel", dependencies: ["COpenBLAS", "VAECore"]),
        // Training: settings, state, checkpoints, the loop over streamed shards, evaluation, run
        // directories, metrics.
        .target(name: "VAETrain", dependencies: ["VAECore", "VAEShards", "VAEModel", "VAECluster"]),
        // Latent codes as CSV, PNG sample sheets, plots drawn with Cairo, the runs table and report.
        .target(name: "VAEVisual", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAEModel", "VAETrain", "VAECluster", "CCairo", "COpenBLAS"]),

        // The sgemm floor of a training epoch and the timings of the ranks' collectives, for vae-bench.
        .target(name: "VAEBench", dependencies: ["VAEModel", "VAETrain", "VAECluster", "COpenBLAS"]),

        // Structure-aware fuzz targets: files that look valid but lie, for every reader.
        .target(name: "VAEFuzz", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAEIngest", "VAEModel", "VAETrain"]),

        // Turning a thrown error into one line on stderr and an exit status, and SIGINT/SIGTERM
        // into a stop request or an exit, for the executables.
        .target(name: "CommandSupport", dependencies: ["VAECore", "VAEImages", "VAECluster", argumentParser]),
        // Each tool's command line and run, a library so that tests parse it in process.
        .target(name: "VAEIngestCommand", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAEIngest", "VAECluster", "CommandSupport", argumentParser]),
        .target(name: "VAETrainCommand", dependencies: ["VAETrain", "VAECluster", "CommandSupport", argumentParser]),
        .target(name: "VAEEmbedCommand", dependencies: ["VAEVisual", "VAECluster", "CommandSupport", argumentParser]),
        .target(name: "VAEGenerateCommand", dependencies: ["VAEVisual", "CommandSupport", argumentParser]),

        // MARK: Executables
        // The four tools of the pipeline: each a `@main` that calls its command's main().
        .executableTarget(name: "vae-ingest", dependencies: ["VAEIngestCommand"]),
        .executableTarget(name: "vae-train", dependencies: ["VAETrainCommand"]),
        .executableTarget(name: "vae-embed", dependencies: ["VAEEmbedCommand"]),
        .executableTarget(name: "vae-generate", dependencies: ["VAEGenerateCommand"]),
        // The fuzz targets, run for a while (`make test`) or under libFuzzer (`make fuzz`).
        .executableTarget(name: "vae-fuzz", dependencies: ["VAEFuzz"]),
        // The sgemm floor for the benchmarks.
        .executableTarget(name: "vae-bench", dependencies: ["VAEBench", "VAEModel", "VAETrain", "VAECluster", "CommandSupport", argumentParser]),

        // MARK: Tests
        // Fixtures, assertions, and N ranks played by N threads (`ThreadRanks`), for the test targets.
        .target(name: "TestSupport", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAEIngest", "VAEModel", "VAETrain", "VAECluster"], path: "Sources/TestSupport"),
        .testTarget(name: "VAECoreTests", dependencies: ["VAECore", "TestSupport"]),
        .testTarget(name: "VAEImagesTests", dependencies: ["VAECore", "VAEImages", "TestSupport"]),
        .testTarget(name: "VAEShardsTests", dependencies: ["VAECore", "VAEShards", "TestSupport"]),
        .testTarget(name: "VAEIngestTests", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAEIngest", "VAECluster", "TestSupport"]),
        .testTarget(name: "VAEModelTests", dependencies: ["VAEModel", "TestSupport"]),
        .testTarget(name: "VAETrainTests", dependencies: ["VAETrain", "VAECluster", "TestSupport"]),
        .testTarget(name: "VAEVisualTests", dependencies: ["VAEVisual", "VAETrain", "VAECluster", "TestSupport"]),
        // The four command lines parsed in process: option values, defaults, and every refusal's message.
        .testTarget(name: "CommandTests", dependencies: [
            "VAEIngestCommand", "VAETrainCommand", "VAEEmbedCommand", "VAEGenerateCommand",
            "VAECore", "VAEImages", "VAEShards", "VAEIngest", "VAEModel", "VAETrain", "VAEVisual", argumentParser,
        ]),
        // The built tools launched as processes: exit statuses, output, files written or not.
        .testTarget(name: "EndToEndTests", dependencies: ["VAECore", "VAEImages", "VAEShards", "VAEIngest", "VAEModel", "VAETrain", "VAEFuzz", "CommandSupport", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
