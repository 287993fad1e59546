// Images with known pixels for the JPEG, PNG and resampling tests (photo-like ones come from
// `SyntheticPhotos`). Encoded by TurboJPEG itself (`JPEGCodec.encode`), so the decoder is tested
// against real encoder output.
import VAEImages

public enum PhotoFixtures {
    /// Blocks of flat color, `block` pixels square (a multiple of 16 keeps JPEG's blocks clean):
    /// block (i, j) has color `colors[(j * columns + i) % colors.count]`.
    public static func blocks(columns: Int, rows: Int, block: Int, colors: [RGBColor]) -> PixelImage {
        let width = columns * block, height = rows * block
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let color = colors[((y / block) * columns + x / block) % colors.count]
                let at = (y * width + x) * 3
                (pixels[at], pixels[at + 1], pixels[at + 2]) = (color.red, color.green, color.blue)
            }
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// The mean and the largest absolute difference between two images' samples.
    public static func difference(_ a: PixelImage, _ b: PixelImage) -> (mean: Double, max: Int) {
        precondition(a.pixels.count == b.pixels.count, "images of different sizes")
        var total = 0, largest = 0
        for (x, y) in zip(a.pixels, b.pixels) {
            let d = abs(Int(x) - Int(y))
            total += d
            largest = max(largest, d)
        }
        return (Double(total) / Double(max(1, a.pixels.count)), largest)
    }
}
