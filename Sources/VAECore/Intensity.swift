// Pixels as the model sees them, by the one rule of the project: x = byte / 255, an intensity in
// [0, 1]. The trainer, the embedder and the sheets all convert through here, so the codes written
// for an image are the codes the model was trained on.

public enum Intensity {
    /// Converts `count` bytes to intensities: out[i] = Float(bytes[i]) / 255 (a loop the compiler
    /// vectorizes; the division is correctly rounded, so the result is the same everywhere).
    /// - Parameters: bytes: (count) pixel bytes, channels interleaved as stored; out: (count).
    @inline(__always)
    public static func convert(_ bytes: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = Float(bytes[i]) / 255 }
    }

    /// The intensity of one byte.
    @inline(__always)
    public static func of(_ byte: UInt8) -> Float { Float(byte) / 255 }
}
