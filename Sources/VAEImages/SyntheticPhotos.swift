// Photo-like JPEGs made on the spot, for the photo benchmark and the tests: smooth color gradients
// with a deterministic texture (waves and a hashed grain), so that JPEG has real detail to encode
// and resampling something to average; encoded by TurboJPEG (`JPEGCodec.encode`).
import Foundation
import VAECore

public enum SyntheticPhotos {
    /// A `width`×`height` RGB image, different for every `seed`.
    public static func textured(width: Int, height: Int, seed: UInt64) -> PixelImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let phase = Double(seed % 97) * 0.37
        let tint = [Double(seed % 5) * 30, Double(seed % 7) * 20, Double(seed % 3) * 50]
        for y in 0..<height {
            for x in 0..<width {
                let fx = Double(x) / Double(max(1, width - 1)), fy = Double(y) / Double(max(1, height - 1))
                var hash = UInt64(x &* 73_856_093) ^ UInt64(y &* 19_349_663) ^ (seed &* 0x9E37_79B9_7F4A_7C15)
                hash = (hash ^ (hash >> 29)) &* 0xBF58_476D_1CE4_E5B9
                let grain = Double(hash >> 58) - 32  // -32 ... 31
                let wave = 40 * sin(Double(x) * 0.11 + phase) * cos(Double(y) * 0.07 - phase)
                for c in 0..<3 {
                    let base = 40 + 150 * (c == 0 ? fx : c == 1 ? fy : 1 - fx * fy) + tint[c] * 0.5
                    let value = base + wave * (c == 1 ? -1 : 1) + grain * 0.6
                    pixels[(y * width + x) * 3 + c] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Writes `count` JPEGs of `width`×`height` at `quality` into `classes` class folders
    /// (`class-0/photo-00000.jpg`, ...; photo n in class n % classes), each file atomically.
    public static func writeFolder(_ root: String, count: Int, classes: Int, width: Int, height: Int, quality: Int) throws {
        for c in 0..<classes {
            try FileManager.default.createDirectory(atPath: FileIO.join(root, "class-\(c)"), withIntermediateDirectories: true)
        }
        let failures = FirstError()
        DispatchQueue.concurrentPerform(iterations: count) { n in
            do {
                let jpeg = try JPEGCodec.encode(textured(width: width, height: height, seed: UInt64(n)), quality: quality)
                let digits = String(n)
                let name = "photo-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".jpg"
                try AtomicFile.write(jpeg, to: FileIO.join(root, "class-\(n % classes)/\(name)"), sync: false)
            } catch {
                failures.record(error)
            }
        }
        if let error = failures.first { throw error }
    }
}
