// Resizing to a fixed W×H: which part of the source is used and where it lands (the fit), then a
// separable resampling in 8-bit sRGB values: area averaging (a box filter) along an axis that
// shrinks, bilinear interpolation along one that grows. docs/INPUTS.md states the rule exactly.
//
// m = source length along an axis (of the region used), n = target length, C = channels.

/// How an image is made W×H.
public enum Fit: String, Codable, Sendable, CaseIterable {
    /// The largest centred region with the target's aspect ratio, resampled to W×H.
    case crop
    /// The whole image resampled to fit inside W×H, centred, the rest filled with the background.
    case pad
    /// The whole image resampled to W×H, ignoring the aspect ratio.
    case stretch
}

/// The size every image is made: `width`×`height` by `fit`, padding with `background`.
public struct ResizeRule: Codable, Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var fit: Fit
    public var background: RGBColor

    public init(width: Int, height: Int, fit: Fit = .crop, background: RGBColor = .black) {
        self.width = width
        self.height = height
        self.fit = fit
        self.background = background
    }
}

/// A target size, written `WxH` on the command line (`64x64`, `32x48`: width first).
public struct ImageSize: Equatable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    /// Each side 1 to 4096.
    public static let sides = 1...4096

    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
              Self.sides.contains(width), Self.sides.contains(height) else { return nil }
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
}

public enum Resampler {
    /// The source rectangle used and the target rectangle it is resampled into.
    public struct Placement: Equatable, Sendable {
        public var sourceX, sourceY, sourceWidth, sourceHeight: Int
        public var targetX, targetY, targetWidth, targetHeight: Int
    }

    /// Where a `width`×`height` source goes under `rule` (all in whole pixels; `/` rounds down):
    ///
    /// ```
    /// crop, source wider than W:H (w·H > h·W):  region (h·W + H/2) / H wide, h high, x0 = (w − region) / 2
    /// crop, otherwise:                          region w wide, (w·H + W/2) / W high, y0 = (h − region) / 2
    /// pad, source wider:   inner W × max(1, (h·W + w/2) / w), at y0 = (H − inner) / 2
    /// pad, otherwise:      inner max(1, (w·H + h/2) / h) × H, at x0 = (W − inner) / 2
    /// stretch:             the whole source to the whole target
    /// ```
    public static func placement(width w: Int, height h: Int, rule: ResizeRule) -> Placement {
        let W = rule.width, H = rule.height
        let wider = w * H > h * W
        switch rule.fit {
        case .crop:
            if wider {
                let region = min(w, max(1, (h * W + H / 2) / H))
                return Placement(sourceX: (w - region) / 2, sourceY: 0, sourceWidth: region, sourceHeight: h,
                                 targetX: 0, targetY: 0, targetWidth: W, targetHeight: H)
            }
            let region = min(h, max(1, (w * H + W / 2) / W))
            return Placement(sourceX: 0, sourceY: (h - region) / 2, sourceWidth: w, sourceHeight: region,
                             targetX: 0, targetY: 0, targetWidth: W, targetHeight: H)
        case .pad:
            if wider {
                let inner = min(H, max(1, (h * W + w / 2) / w))
                return Placement(sourceX: 0, sourceY: 0, sourceWidth: w, sourceHeight: h,
                                 targetX: 0, targetY: (H - inner) / 2, targetWidth: W, targetHeight: inner)
            }
            let inner = min(W, max(1, (w * H + h / 2) / h))
            return Placement(sourceX: 0, sourceY: 0, sourceWidth: w, sourceHeight: h,
                             targetX: (W - inner) / 2, targetY: 0, targetWidth: inner, targetHeight: H)
        case .stretch:
            return Placement(sourceX: 0, sourceY: 0, sourceWidth: w, sourceHeight: h,
                             targetX: 0, targetY: 0, targetWidth: W, targetHeight: H)
        }
    }

    /// `image` made `rule.width`×`rule.height` (same channels), see `placement` and `taps`.
    /// Samples are filtered along x, kept as Float, filtered along y, then rounded to nearest
    /// (halves up) and clamped to 0...255.
    ///
    /// - Parameter reduction: `image` is a 1/`reduction` scale decode of an image of
    ///   `fullWidth`×`fullHeight`: the placement is computed on the full size and its source
    ///   rectangle divided by `reduction`, so that the result lands exactly where the full-size
    ///   image's would.
    public static func resize(_ image: PixelImage, _ rule: ResizeRule, reduction: Int = 1, fullWidth: Int? = nil, fullHeight: Int? = nil) -> PixelImage {
        let c = image.channels
        let p = placement(width: fullWidth ?? image.width, height: fullHeight ?? image.height, rule: rule)
        let fill = rule.background.samples(c == 1 ? .gray : .rgb)
        var out = [UInt8](repeating: 0, count: rule.width * rule.height * c)
        for i in 0..<rule.width * rule.height { for k in 0..<c { out[i * c + k] = fill[k] } }
        if reduction == 1, p.sourceX == 0, p.sourceY == 0, p.sourceWidth == image.width, p.sourceHeight == image.height,
           p.targetWidth == image.width, p.targetHeight == image.height {  // same size: a copy
            for y in 0..<p.targetHeight {
                let from = y * image.width * c, to = ((p.targetY + y) * rule.width + p.targetX) * c
                out.replaceSubrange(to..<to + image.width * c, with: image.pixels[from..<from + image.width * c])
            }
            return PixelImage(width: rule.width, height: rule.height, channels: c, pixels: out)
        }
        let d = Double(reduction)
        let tx = taps(start: Double(p.sourceX) / d, length: Double(p.sourceWidth) / d, limit: image.width, target: p.targetWidth)
        let ty = taps(start: Double(p.sourceY) / d, length: Double(p.sourceHeight) / d, limit: image.height, target: p.targetHeight)
        let firstRow = ty.sources.min() ?? 0, lastRow = ty.sources.max() ?? 0
        let rowLength = p.targetWidth * c
        var rows = [Float](repeating: 0, count: (lastRow - firstRow + 1) * rowLength)  // (rows used, targetWidth, C)
        var column = [Float](repeating: 0, count: rowLength)
        // The loops below run over raw pointers (no bounds checks; three channels unrolled), in
        // the order the formulas give: each sum starts at 0 and adds its taps in order.
        image.pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { tmp in
                tx.withPointers { starts, sources, weights in
                    for y in firstRow...lastRow {
                        let line = src.baseAddress! + y * image.width * c
                        let row = tmp.baseAddress! + (y - firstRow) * rowLength
                        for j in 0..<p.targetWidth {
                            let o = row + j * c
                            if c == 3 {
                                var r: Float = 0, g: Float = 0, b: Float = 0
                                for t in starts[j]..<starts[j + 1] {
                                    let w = weights[t], s = line + sources[t] * 3
                                    r += w * Float(s[0])
                                    g += w * Float(s[1])
                                    b += w * Float(s[2])
                                }
                                (o[0], o[1], o[2]) = (r, g, b)
                            } else {
                                for t in starts[j]..<starts[j + 1] {
                                    let w = weights[t], s = line + sources[t] * c
                                    for k in 0..<c { o[k] += w * Float(s[k]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { tmp in
            column.withUnsafeMutableBufferPointer { sum in
                out.withUnsafeMutableBufferPointer { dst in
                    ty.withPointers { starts, sources, weights in
                        for i in 0..<p.targetHeight {
                            for k in 0..<rowLength { sum[k] = 0 }
                            for t in starts[i]..<starts[i + 1] {
                                let w = weights[t], row = tmp.baseAddress! + (sources[t] - firstRow) * rowLength
                                for k in 0..<rowLength { sum[k] += w * row[k] }
                            }
                            let to = dst.baseAddress! + ((p.targetY + i) * rule.width + p.targetX) * c
                            for k in 0..<rowLength { to[k] = UInt8(min(255, max(0, sum[k] + 0.5))) }
                        }
                    }
                }
            }
        }
        return PixelImage(width: rule.width, height: rule.height, channels: c, pixels: out)
    }

    /// The filter along one axis: for each target pixel, the source pixels and weights.
    struct Taps {
        var starts: [Int]  // (n + 1): target pixel j uses taps starts[j] ..< starts[j + 1]
        var sources: [Int]
        var weights: [Float]

        /// `body` with the three arrays as buffers.
        func withPointers<R>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Float>) -> R) -> R {
            starts.withUnsafeBufferPointer { s in sources.withUnsafeBufferPointer { i in weights.withUnsafeBufferPointer { w in body(s, i, w) } } }
        }
    }

    /// Pixel i of an axis covers [i, i + 1); target pixel j of n maps to the source interval
    /// [a + j·s, a + (j + 1)·s) of the region [a, a + m), s = m / n (a = 0 and m the region's
    /// length in pixels, except after a reduced decode, where both are divided by the reduction).
    ///
    /// ```
    /// m ≥ n (shrink, or the same): weight of source i = |[i, i+1) ∩ [a + j·s, a + (j+1)·s)| / s
    /// m < n (enlarge): centre x = a + (j + 0.5)·s − 0.5 clamped to [a, a + m − 1], i = ⌊x⌋,
    ///                  f = x − i, weights 1 − f on i and f on i + 1 (all on i at the last pixel)
    /// ```
    /// Sources past the image's last pixel (`limit`) are dropped and the weights that remain
    /// scaled to sum to 1.
    static func taps(start a: Double, length m: Double, limit: Int, target n: Int) -> Taps {
        var taps = Taps(starts: [0], sources: [], weights: [])
        let scale = m / Double(n)
        for j in 0..<n {
            if m >= Double(n) {
                let lo = a + Double(j) * scale, hi = a + Double(j + 1) * scale
                var i = Int(lo)
                var total = 0.0
                var weights = [Double]()
                while i < limit && Double(i) < hi {
                    let overlap = min(hi, Double(i + 1)) - max(lo, Double(i))
                    if overlap > 0 {
                        taps.sources.append(i)
                        weights.append(overlap)
                        total += overlap
                    }
                    i += 1
                }
                if weights.isEmpty {  // the interval lies past the last pixel: take the last one
                    taps.sources.append(limit - 1)
                    weights.append(1)
                    total = 1
                }
                let norm = abs(total - scale) < 1e-9 ? scale : total
                for w in weights { taps.weights.append(Float(w / norm)) }
            } else {
                let x = min(a + m - 1, max(a, a + (Double(j) + 0.5) * scale - 0.5))
                let i = min(limit - 1, Int(x)), f = x - Double(i)
                taps.sources.append(i)
                taps.weights.append(Float(1 - f))
                if i + 1 < limit && f > 0 {
                    taps.sources.append(i + 1)
                    taps.weights.append(Float(f))
                }
            }
            taps.starts.append(taps.sources.count)
        }
        return taps
    }
}
