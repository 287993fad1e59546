// A small labelled dataset drawn on the fly: bars, boxes and diagonals at random places. It lets
// the smoke pipeline and the tests run the whole chain in seconds without any download, and it is
// the same for the same seed on every machine.

public enum SyntheticShapes {
    public static let labelNames = ["horizontal", "vertical", "box", "diagonal"]

    /// `count` images of `size` x `size` pixels, labels cycling through the four shapes.
    public static func images(count: Int, size: Int, seed: UInt64) -> ImageSet {
        var generator = SplitMix64(seed: seed)
        func next(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }  // reduced to 0..<bound
        var pixels = [UInt8](repeating: 0, count: count * size * size)
        var labels = [UInt16]()
        for n in 0..<count {
            let label = n % labelNames.count
            labels.append(UInt16(label))
            let base = n * size * size
            let level = UInt8(160 + next(96))
            let a = next(size), b = next(size)
            let lo = min(a, b), hi = max(a, b)
            let thickness = 1 + next(max(1, size / 6))
            for y in 0..<size {
                for x in 0..<size {
                    let on: Bool
                    switch label {
                    case 0: on = y >= a && y < a + thickness
                    case 1: on = x >= a && x < a + thickness
                    case 2: on = (x == lo || x == hi || y == lo || y == hi) && (lo...hi).contains(x) && (lo...hi).contains(y)
                    default: on = abs(x - y - (a - size / 2)) < thickness
                    }
                    if on { pixels[base + y * size + x] = level }
                }
            }
        }
        return ImageSet(height: size, width: size, pixels: pixels, labels: labels)
    }

    /// A train and a test split, with the parameters recorded as the source.
    public static func input(train: Int, test: Int, size: Int, seed: UInt64) -> IngestInput {
        IngestInput(
            train: images(count: train, size: size, seed: seed),
            test: test > 0 ? images(count: test, size: size, seed: seed &+ 1) : nil,
            labelNames: labelNames,
            source: SourceInfo(kind: "synthetic", inputs: [
                InputFile(role: "shapes train=\(train) test=\(test) size=\(size) seed=\(seed)", path: "-", bytes: 0, sha256: "-"),
            ]))
    }
}
