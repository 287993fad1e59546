// A picture drawn with Cairo: an RGB image surface, its drawing context, and the few operations
// the plots need (lines, dots, rectangles, text in DejaVu Sans through fontconfig). The picture
// leaves as PNG bytes, which the caller writes through the project's one atomic-write path, so a
// failed or killed run never leaves half a PNG. Cairo draws the same pixels for the same calls on
// the same machine (fonts and their hinting come from the machine's fontconfig and FreeType).
import CCairo
import Foundation
import VAECore

/// An 8-bit RGB color.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let grid = RGB(225, 225, 225)
    public static let axis = RGB(60, 60, 60)

    /// The plots' palette: ten well-separated hues, then more spread around the color wheel by
    /// the golden angle, so any number of series or classes gets distinct, stable colors.
    public static func palette(_ index: Int) -> RGB {
        let base: [RGB] = [
            RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
            RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
        ]
        if index < base.count { return base[index] }
        let hue = (Double(index - base.count) * 137.508).truncatingRemainder(dividingBy: 360) / 60
        let x = 1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1)
        let (r, g, b): (Double, Double, Double) = switch Int(hue) {
        case 0: (1, x, 0)
        case 1: (x, 1, 0)
        case 2: (0, 1, x)
        case 3: (0, x, 1)
        case 4: (x, 0, 1)
        default: (1, 0, x)
        }
        func channel(_ v: Double) -> UInt8 { UInt8(40 + v * 170) }
        return RGB(channel(r), channel(g), channel(b))
    }
}

/// Where a text is anchored relative to the point it is drawn at.
public enum TextAnchor: Sendable {
    case left, center, right
}

/// A Cairo RGB image surface and its context, freed together.
public final class PlotCanvas {
    /// The font of every text: DejaVu Sans, found by fontconfig.
    public static let fontFamily = "DejaVu Sans"
    /// The largest side, in pixels.
    public static let maxSide = 8192

    public let width: Int
    public let height: Int
    private let surface: OpaquePointer
    private let context: OpaquePointer

    /// A `width` x `height` canvas filled with white.
    /// - Throws: `VisualError` for a size out of 1...`maxSide` or when Cairo cannot allocate it.
    public init(width: Int, height: Int) throws {
        guard (1...Self.maxSide).contains(width), (1...Self.maxSide).contains(height) else {
            throw VisualError("a plot must be 1 to \(Self.maxSide) pixels a side, got \(width)x\(height)")
        }
        self.width = width
        self.height = height
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)) else {
            throw VisualError("Cairo could not create a \(width)x\(height) image")
        }
        if cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS {
            let reason = String(cString: cairo_status_to_string(cairo_surface_status(surface)))
            cairo_surface_destroy(surface)
            throw VisualError("Cairo could not create a \(width)x\(height) image: \(reason)")
        }
        guard let context = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw VisualError("Cairo could not create a drawing context")
        }
        self.surface = surface
        self.context = context
        cairo_select_font_face(context, Self.fontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        fill(x: 0, y: 0, width: Double(width), height: Double(height), color: .white)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    private func setColor(_ c: RGB, alpha: Double = 1) {
        cairo_set_source_rgba(context, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255, alpha)
    }

    /// Fills a rectangle (pixel coordinates, y down).
    public func fill(x: Double, y: Double, width: Double, height: Double, color: RGB) {
        setColor(color)
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }

    /// Strokes a rectangle's outline.
    public func stroke(x: Double, y: Double, width: Double, height: Double, color: RGB, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_rectangle(context, x, y, width, height)
        cairo_stroke(context)
    }

    /// A polyline through `points`; a nil point breaks the line.
    public func polyline(_ points: [(x: Double, y: Double)?], color: RGB, lineWidth: Double = 2) {
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_ROUND)
        var open = false
        for point in points {
            guard let p = point else {
                if open { cairo_stroke(context) }
                open = false
                continue
            }
            if open { cairo_line_to(context, p.x, p.y) } else { cairo_move_to(context, p.x, p.y) }
            open = true
        }
        if open { cairo_stroke(context) }
        cairo_new_path(context)
    }

    /// A straight line from (x0, y0) to (x1, y1).
    public func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: RGB, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
        cairo_move_to(context, x0, y0)
        cairo_line_to(context, x1, y1)
        cairo_stroke(context)
    }

    /// Filled disks of radius `radius` at every point, in one color.
    public func dots(_ points: [(x: Double, y: Double)], radius: Double, color: RGB, alpha: Double = 1) {
        setColor(color, alpha: alpha)
        for p in points {
            cairo_new_sub_path(context)
            cairo_arc(context, p.x, p.y, radius, 0, 2 * Double.pi)
        }
        cairo_fill(context)
    }

    /// The advance width of `text` at `size` points.
    public func textWidth(_ text: String, size: Double) -> Double {
        cairo_set_font_size(context, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        return extents.x_advance
    }

    /// Draws `text` with its baseline at `y`, anchored at `x`; `vertical` turns it a quarter left
    /// (reading upwards, as a y-axis label), anchored at its middle.
    public func text(_ text: String, x: Double, y: Double, size: Double, color: RGB = .black,
                     anchor: TextAnchor = .left, vertical: Bool = false) {
        cairo_set_font_size(context, size)
        setColor(color)
        let width = textWidth(text, size: size)
        let shift: Double = switch anchor {
        case .left: 0
        case .center: -width / 2
        case .right: -width
        }
        cairo_save(context)
        cairo_translate(context, x, y)
        if vertical { cairo_rotate(context, -Double.pi / 2) }
        cairo_move_to(context, shift, 0)
        cairo_show_text(context, text)
        cairo_restore(context)
        cairo_new_path(context)
    }

    /// The color of the pixel at column `x`, row `y` (0-based, top left).
    public func pixel(x: Int, y: Int) -> RGB {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        // RGB24: one native-endian 32-bit word per pixel, 0x00RRGGBB.
        let word = UnsafeRawPointer(data + y * stride + 4 * x).loadUnaligned(as: UInt32.self)
        return RGB(UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF))
    }

    /// Every pixel as R, G, B bytes, row by row from the top left (width · height · 3 bytes).
    public func rgbBytes() -> [UInt8] {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = UnsafeRawPointer(cairo_image_surface_get_data(surface)!)
        var out = [UInt8]()
        out.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let word = (data + y * stride + 4 * x).loadUnaligned(as: UInt32.self)  // 0x00RRGGBB
                out += [UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF)]
            }
        }
        return out
    }

    /// The picture as PNG bytes (8-bit RGB), encoded by Cairo.
    public func pngBytes() throws -> [UInt8] {
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        cairo_surface_flush(surface)
        let status = withExtendedLifetime(sink) {
            cairo_surface_write_to_png_stream(surface, { closure, data, length in
                let sink = Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
        guard status == CAIRO_STATUS_SUCCESS else {
            throw VisualError("Cairo could not encode the PNG: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.bytes
    }

    /// Writes the picture to `path` as a PNG, atomically (temporary file, fsync, rename).
    public func writePNG(to path: String) throws {
        try AtomicFile.write(try pngBytes(), to: path)
    }
}
