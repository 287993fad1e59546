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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: C modules
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // MARK: Libraries
        // Files, checksums, compression, IDX, PNG and JPEG input, shards and their manifest.
        .target(name: "VAEData", dependencies: ["CZlib", "CPNG", "CTurboJPEG"]),
        // The model: layers, loss, gradients, Adam, the random generator, checkpoints.
        .target(name: "VAEModel", dependencies: ["COpenBLAS", "VAEData"]),
        // The training loop over streamed shards, run directories, metrics.
        .target(name: "VAETrain", dependencies: ["VAEData", "VAEModel"]),
        // Latent codes as CSV and PNG sample sheets.
        .target(name: "VAEVisual", dependencies: ["VAEData", "VAEModel"]),

        // Turning a thrown error into one line on stderr and an exit status, for the executables.
        .target(name: "CommandSupport", dependencies: [argumentParser]),

        // MARK: Executables
        .executableTarget(name: "vae-ingest", dependencies: ["VAEData", "CommandSupport", argumentParser]),
        .executableTarget(name: "vae-train", dependencies: ["VAETrain", "CommandSupport", argumentParser]),
        .executableTarget(name: "vae-embed", dependencies: ["VAEVisual", "CommandSupport", argumentParser]),
        .executableTarget(name: "vae-generate", dependencies: ["VAEVisual", "CommandSupport", argumentParser]),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["VAEData", "VAEModel"], path: "Sources/TestSupport"),
        .testTarget(name: "VAEDataTests", dependencies: ["VAEData", "TestSupport"]),
        .testTarget(name: "VAEModelTests", dependencies: ["VAEModel", "TestSupport"]),
        .testTarget(name: "VAETrainTests", dependencies: ["VAETrain", "TestSupport"]),
        .testTarget(name: "VAEVisualTests", dependencies: ["VAEVisual", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["VAEData", "VAEModel", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
