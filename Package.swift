// swift-tools-version:6.0
// The VAE pipeline: four executables (ingest, train, embed, generate) over three libraries.
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
        // Files, checksums, compression, IDX, PNG and JPEG input, shards and their manifest.
        .target(name: "VAEData", dependencies: ["CZlib", "CPNG", "CCrypto", "CTurboJPEG"]),
        // The model: layers, loss, gradients, Adam, the random generator, safetensors.
        .target(name: "VAEModel", dependencies: ["COpenBLAS", "VAEData"]),
        // Training: settings, state, checkpoints, the loop over streamed shards, run directories, metrics.
        .target(name: "VAETrain", dependencies: ["VAEData", "VAEModel", "VAECluster"]),
        // Latent codes as CSV, PNG sample sheets, plots drawn with Cairo, the runs table and report.
        .target(name: "VAEVisual", dependencies: ["VAEData", "VAEModel", "VAETrain", "VAECluster", "CCairo", "COpenBLAS"]),

        // The ranks of an mpirun job (a single rank without mpirun) and their collectives.
        .target(name: "VAECluster", dependencies: ["CMPI"]),

        // The sgemm floor of a training epoch and the timings of the ranks' collectives, for vae-bench.
        .target(name: "VAEBench", dependencies: ["VAEModel", "VAETrain", "VAECluster", "COpenBLAS"]),

        // Structure-aware fuzz targets: files that look valid but lie, for every reader.
        .target(name: "VAEFuzz", dependencies: ["VAEData", "VAEModel", "VAETrain"]),

        // Turning a thrown error into one line on stderr and an exit status, and SIGINT/SIGTERM
        // into a stop request or an exit, for the executables.
        .target(name: "CommandSupport", dependencies: ["VAEData", "VAECluster", argumentParser]),
        // vae-train's command line and run, a library so that tests parse it in process.
        .target(name: "VAETrainCommand", dependencies: ["VAETrain", "VAECluster", "CommandSupport", argumentParser]),

        // MARK: Executables
        .executableTarget(name: "vae-ingest", dependencies: ["VAEData", "VAECluster", "CommandSupport", argumentParser]),
        .executableTarget(name: "vae-train", dependencies: ["VAETrainCommand"]),
        .executableTarget(name: "vae-embed", dependencies: ["VAEVisual", "VAECluster", "CommandSupport", argumentParser]),
        .executableTarget(name: "vae-generate", dependencies: ["VAEVisual", "CommandSupport", argumentParser]),
        // The fuzz targets, run for a while (`make test`) or under libFuzzer (`make fuzz`).
        .executableTarget(name: "vae-fuzz", dependencies: ["VAEFuzz"]),
        // The sgemm floor for the benchmarks.
        .executableTarget(name: "vae-bench", dependencies: ["VAEBench", "VAEModel", "VAETrain", "VAECluster", "CommandSupport", argumentParser]),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["VAEData", "VAEModel"], path: "Sources/TestSupport"),
        .testTarget(name: "VAEDataTests", dependencies: ["VAEData", "TestSupport"]),
        .testTarget(name: "VAEModelTests", dependencies: ["VAEModel", "TestSupport"]),
        .testTarget(name: "VAETrainTests", dependencies: ["VAETrain", "VAETrainCommand", "TestSupport", argumentParser]),
        .testTarget(name: "VAEVisualTests", dependencies: ["VAEVisual", "VAETrain", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["VAEData", "VAEModel", "VAETrain", "VAEFuzz", "CommandSupport", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
