// PNG decoding that keeps color: any PNG to 8-bit gray or RGB, transparency composited over a
// background color. The gray result is the same as `PNGCodec.decodeGray` with the background's
// luma; RGB keeps the samples as stored (after libpng's normalization to 8 bits).
import CPNG

extension PNGCodec {
    /// Decodes any PNG to `mode`, over `background` where it is transparent.
    ///
    /// After libpng's normalization to 8 bits (see `decodeGray`), for `.rgb`: gray samples are
    /// replicated (R = G = B = gray), RGB kept, and alpha composited per channel:
    /// `out = (c × A + background_c × (255 − A) + 127) / 255`. For `.gray`: `decodeGray`'s
    /// rule over the background's BT.601 luma.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, path: String, mode: ColorMode, background: RGBColor = .black
    ) throws -> PixelImage {
        if mode == .gray {
            var pixels = [UInt8]()
            var scratch = [UInt8]()
            let size = try decodeGray(bytes, path: path, background: background.luma, appendingTo: &pixels,
                                      scratch: &scratch) { _, _ in }
            return PixelImage(width: size.width, height: size.height, channels: 1, pixels: pixels)
        }
        let decoding = try Decoding(bytes, path: path)
        let width = decoding.width, height = decoding.height, channels = decoding.channels
        let needed = decoding.rowBytes * height
        var samples = [UInt8](repeating: 0, count: needed)
        try samples.withUnsafeMutableBufferPointer { try decoding.read(into: $0.baseAddress!, count: needed) }
        if channels == 3 { return PixelImage(width: width, height: height, channels: 3, pixels: samples) }
        let n = width * height
        let bg = [UInt32(background.red), UInt32(background.green), UInt32(background.blue)]
        var out = [UInt8](repeating: 0, count: n * 3)
        samples.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    for c in 0..<3 {
                        switch channels {
                        case 1: o[3 * i + c] = s[i]
                        case 2:
                            let a = UInt32(s[2 * i + 1])
                            o[3 * i + c] = UInt8((UInt32(s[2 * i]) * a + bg[c] * (255 - a) + 127) / 255)
                        default:
                            let a = UInt32(s[4 * i + 3])
                            o[3 * i + c] = UInt8((UInt32(s[4 * i + c]) * a + bg[c] * (255 - a) + 127) / 255)
                        }
                    }
                }
            }
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: out)
    }

    /// Whether `bytes` start with the PNG signature.
    public static func isPNG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    }
}
