// A small labelled dataset drawn on the fly: bars, boxes and diagonals at random places, in gray
// or in color. It lets the smoke pipelines and the tests run the whole chain in seconds without
// any download, and it is the same for the same seed on every machine. `ingest` draws and writes
// a piece at a time, so its memory does not grow with the count.
import VAECluster
import VAECore
import VAEImages
import VAEShards

public enum SyntheticShapes {
    public static let labelNames = ["horizontal", "vertical", "box", "diagonal"]
    /// The colors of `--color rgb` shapes, scaled by the shape's level.
    static let palette: [(UInt32, UInt32, UInt32)] = [(255, 60, 40), (40, 200, 60), (50, 90, 255), (250, 220, 40), (230, 60, 230), (40, 220, 230)]

    /// Draws images one after another from a seed (SplitMix64).
    struct Drawer {
        var generator: SplitMix64
        let size: Int
        let color: ColorMode

        init(state: UInt64, size: Int, color: ColorMode) {
            generator = SplitMix64(seed: state)
            self.size = size
            self.color = color
        }

        mutating func next(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }  // reduced to 0..<bound

        /// Draws image `n` (label n % 4) into `out` (size × size × channels bytes, zeroed).
        mutating func draw(_ n: Int, into out: UnsafeMutableBufferPointer<UInt8>) -> UInt16 {
            let label = n % labelNames.count
            let level = UInt8(160 + next(96))
            let a = next(size), b = next(size)
            let lo = min(a, b), hi = max(a, b)
            let thickness = 1 + next(max(1, size / 6))
            var rgb = [level]
            if color == .rgb {  // no extra draw: the shapes are those of the gray data
                let (r, g, b) = palette[(n / labelNames.count + Int(level)) % palette.count]
                rgb = [r, g, b].map { UInt8($0 * UInt32(level) / 255) }
            }
            let c = rgb.count
            for y in 0..<size {
                for x in 0..<size {
                    let on: Bool
                    switch label {
                    case 0: on = y >= a && y < a + thickness
                    case 1: on = x >= a && x < a + thickness
                    case 2: on = (x == lo || x == hi || y == lo || y == hi) && (lo...hi).contains(x) && (lo...hi).contains(y)
                    default: on = abs(x - y - (a - size / 2)) < thickness
                    }
                    if on { for k in 0..<c { out[(y * size + x) * c + k] = rgb[k] } }
                }
            }
            return UInt16(label)
        }
    }

    /// `count` gray images of `size` x `size` pixels, labels cycling through the four shapes.
    public static func images(count: Int, size: Int, seed: UInt64) -> ImageSet {
        var drawer = Drawer(state: seed, size: size, color: .gray)
        var pixels = [UInt8](repeating: 0, count: count * size * size)
        var labels = [UInt16]()
        pixels.withUnsafeMutableBufferPointer { out in
            for n in 0..<count {
                labels.append(drawer.draw(n, into: UnsafeMutableBufferPointer(rebasing: out[n * size * size..<(n + 1) * size * size])))
            }
        }
        return ImageSet(height: size, width: size, pixels: pixels, labels: labels)
    }

    /// What the manifest records as the source.
    static func source(train: Int, test: Int, size: Int, seed: UInt64, color: ColorMode) -> SourceInfo {
        SourceInfo(kind: "synthetic", inputs: [
            InputFile(role: "shapes train=\(train) test=\(test) size=\(size) seed=\(seed)" + (color == .rgb ? " color=rgb" : ""),
                      path: "-", bytes: 0, sha256: "-"),
        ])
    }

    /// A train and a test split in memory, with the parameters recorded as the source (the same
    /// records as `ingest` writes in gray).
    public static func input(train: Int, test: Int, size: Int, seed: UInt64) -> IngestInput {
        IngestInput(
            train: images(count: train, size: size, seed: seed),
            test: test > 0 ? images(count: test, size: size, seed: seed &+ 1) : nil,
            labelNames: labelNames, source: source(train: train, test: test, size: size, seed: seed, color: .gray))
    }

    /// Draws `train` and `test` images (the test split from seed + 1) straight into a shard
    /// artifact at `out`, a piece at a time.
    public static func ingest(
        train: Int, test: Int, size: Int, seed: UInt64, color: ColorMode = .gray,
        parameters: IngestParameters, to out: String, force: Bool
    ) throws -> Manifest {
        try ingest(train: train, test: test, size: size, seed: seed, color: color, parameters: parameters, to: out, force: force,
                   ranks: Cluster.single)!  // one rank: rank 0
    }

    /// `ingest` shared among `ranks`: every rank draws every image (drawing is cheap) and
    /// compresses the shards it owns; rank 0 returns the manifest, the other ranks nil.
    public static func ingest(
        train: Int, test: Int, size: Int, seed: UInt64, color: ColorMode = .gray,
        parameters: IngestParameters, to out: String, force: Bool, ranks: any Ranks
    ) throws -> Manifest? {
        guard train > 0, test >= 0, size > 0 else {
            throw DataError(.invalidArgument, out, "synthetic shapes need train >= 1, test >= 0 and size >= 1")
        }
        let stream = try ArtifactStream(out: out, force: force, parameters: parameters, ranks: ranks)
        do {
            let shape = ImageShape(height: size, width: size, channels: color.channels)
            try stream.setShape(shape)
            let piece = max(1, ArtifactStream.pieceBytes / shape.pixels)
            var pixels = [UInt8](repeating: 0, count: piece * shape.pixels)
            var labels = [UInt16](repeating: 0, count: piece)
            for (split, count, splitSeed) in [(Split.train, train, seed), (.test, test, seed &+ 1)] {
                var drawer = Drawer(state: splitSeed, size: size, color: color)
                for start in stride(from: 0, to: count, by: piece) {
                    let n = min(piece, count - start)
                    for i in pixels.indices { pixels[i] = 0 }
                    pixels.withUnsafeMutableBufferPointer { out in
                        for i in 0..<n {
                            labels[i] = drawer.draw(start + i, into: UnsafeMutableBufferPointer(rebasing: out[i * shape.pixels..<(i + 1) * shape.pixels]))
                        }
                    }
                    try pixels.withUnsafeBytes { raw in
                        try labels.withUnsafeBufferPointer {
                            try stream.append(split, pixels: UnsafeRawBufferPointer(rebasing: raw[0..<n * shape.pixels]),
                                              labels: UnsafeBufferPointer(rebasing: $0[0..<n]))
                        }
                    }
                }
            }
            return try stream.finish(labelNames: labelNames, source: source(train: train, test: test, size: size, seed: seed, color: color))
        } catch {
            stream.abandon()
            throw error
        }
    }
}
