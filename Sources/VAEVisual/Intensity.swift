// Pixels as the model sees them: byte / 255, rounded to Float exactly as the trainer does (a
// table of the 256 values), so the codes written here are the codes the model was trained on.

public enum Intensity {
    /// Float(b) / 255 for b = 0 ... 255.
    public static let table: [Float] = (0...255).map { Float($0) / 255 }

    /// Converts `count` bytes to intensities in [0, 1].
    @inline(__always)
    public static func convert(_ bytes: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Float>, count: Int) {
        table.withUnsafeBufferPointer { t in
            for i in 0..<count { out[i] = t[Int(bytes[i])] }
        }
    }
}
