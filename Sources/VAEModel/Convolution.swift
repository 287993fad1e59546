// The two data-movement passes that turn convolutions into matrix products: im2col copies every
// k × k patch of a channels-last image into one row of a matrix, so a convolution is one sgemm of
// that matrix with the weight; col2im is its adjoint, summing every row back onto the image, so a
// transposed convolution is one sgemm followed by col2im. Each pass also does the elementwise work
// of its layer while the data is in cache: col2im adds the bias and applies the ReLU (forward), or
// applies the ReLU's mask and sums the bias gradient (backward).
//
// N = images, H × W × C = an image (channels last), G_h × G_w = the patch grid (the smaller image
// of the convolution), k = kernel, s = stride, p = padding. Patch (gy, gx) covers image rows
// gy·s - p ..< gy·s - p + k and columns gx·s - p ..< gx·s - p + k; outside the image it reads 0.
import COpenBLAS
import Dispatch

/// The geometry shared by a convolution and its adjoint: the image, the patch grid and the kernel.
struct PatchGeometry: Equatable, Sendable {
    let height, width, channels: Int
    let gridHeight, gridWidth: Int
    let kernel, stride, padding: Int

    /// k·k·C, the length of one patch row.
    var patchSize: Int { kernel * kernel * channels }
    var imageSize: Int { height * width * channels }
    /// G_h·G_w·k·k·C, the im2col matrix of one image.
    var colsSize: Int { gridHeight * gridWidth * patchSize }
}

/// What col2im does with each summed image pixel (a vector of C channels) before storing it.
enum Col2imEpilogue {
    /// Forward of a transposed convolution: v = Σ + bias (C), then max(v, 0) when `relu`.
    case bias(UnsafePointer<Float>, relu: Bool)
    /// Backward of a convolution into the previous layer's ReLU output y (N, H, W, C):
    /// v = y > 0 ? Σ : 0, and biasGrad (C) += v (the previous layer's bias gradient).
    case reluBackward(output: UnsafePointer<Float>, biasGrad: UnsafeMutablePointer<Float>)
}

/// Copies every patch of `images` images into the rows of `cols`.
///
/// ```
/// cols[n, gy, gx, ky, kx, c] = image[n, gy·s - p + ky, gx·s - p + kx, c]   (0 outside the image)
/// ```
/// - Parameters: cols: (N, G_h, G_w, k, k, C) output; image: (N, H, W, C).
func im2col(_ cols: UnsafeMutablePointer<Float>, _ image: UnsafePointer<Float>, images n: Int, _ g: PatchGeometry) {
    let c = g.channels, k = g.kernel
    let rowStride = g.width * c
    parallelOverImages(n) { lo, hi in
        for i in lo ..< hi {
            let img = image + i * g.imageSize
            var out = cols + i * g.colsSize
            for gy in 0 ..< g.gridHeight {
                for gx in 0 ..< g.gridWidth {
                    let y0 = gy * g.stride - g.padding, x0 = gx * g.stride - g.padding
                    for ky in 0 ..< k {
                        let y = y0 + ky
                        let inside = y >= 0 && y < g.height
                        let row = img + (inside ? y : 0) * rowStride
                        for kx in 0 ..< k {
                            let x = x0 + kx
                            if inside && x >= 0 && x < g.width {
                                copyChannels(out, row + x * c, c)
                            } else {
                                for j in 0 ..< c { out[j] = 0 }
                            }
                            out += c
                        }
                    }
                }
            }
        }
    }
}

/// dst (C) = src (C), sixteen lanes at a time (a call of memmove per pixel costs more than the copy).
@inline(__always)
private func copyChannels(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ c: Int) {
    var j = 0
    while j + 16 <= c {
        store16(load16(src + j), dst + j)
        j += 16
    }
    while j < c {
        dst[j] = src[j]
        j += 1
    }
}

/// Sums every patch row of `cols` back onto the image (the adjoint of `im2col`), one output
/// pixel at a time, then applies `epilogue` to the pixel's C channels.
///
/// ```
/// image[n, y, x, c] = Σ_{gy·s - p + ky = y, gx·s - p + kx = x} cols[n, gy, gx, ky, kx, c]
/// ```
/// Every pixel's sum runs in the same order (ky, then kx ascending), so results do not depend on
/// the thread count; the bias gradient is summed in image order on one thread.
/// - Parameters: image: (N, H, W, C) output; cols: (N, G_h, G_w, k, k, C).
func col2im(_ image: UnsafeMutablePointer<Float>, _ cols: UnsafePointer<Float>, images n: Int,
            _ g: PatchGeometry, epilogue: Col2imEpilogue) {
    let c = g.channels, k = g.kernel, s = g.stride, p = g.padding
    let patch = g.patchSize
    var bias: UnsafePointer<Float>? = nil, relu = false, mask: UnsafePointer<Float>? = nil
    switch epilogue {
    case .bias(let b, let r): (bias, relu) = (b, r)
    case .reluBackward(let y, _): mask = y
    }
    // The taps of each row y and each column x: (offset into one image's cols) pairs, at most
    // t = ceil(k/s) per side; a pixel's taps are every row tap with every column tap.
    let t = (k + s - 1) / s
    withUnsafeTemporaryAllocation(of: Int.self, capacity: (g.height + g.width) * (t + 1)) { table in
        let rowTaps = table.baseAddress!, colTaps = rowTaps + g.height * (t + 1)
        func fill(_ out: UnsafeMutablePointer<Int>, size: Int, grid: Int, gridStep: Int, tapStep: Int) {
            for y in 0 ..< size {
                var count = 0
                var ky = (y + p) % s
                while ky < k && ky <= y + p {
                    let gy = (y + p - ky) / s
                    if gy < grid {
                        out[y * (t + 1) + 1 + count] = gy * gridStep + ky * tapStep
                        count += 1
                    }
                    ky += s
                }
                out[y * (t + 1)] = count
            }
        }
        fill(rowTaps, size: g.height, grid: g.gridHeight, gridStep: g.gridWidth * patch, tapStep: k * c)
        fill(colTaps, size: g.width, grid: g.gridWidth, gridStep: patch, tapStep: c)
        let rows = UnsafePointer(rowTaps), cols2 = UnsafePointer(colTaps)
        parallelOverImages(n) { lo, hi in
            for i in lo ..< hi {
                let src = cols + i * g.colsSize
                for y in 0 ..< g.height {
                    let ry = rows + y * (t + 1)
                    for x in 0 ..< g.width {
                        let cx = cols2 + x * (t + 1)
                        let pixel = ((i * g.height + y) * g.width + x) * c
                        let out = image + pixel
                        var j = 0
                        while j + 16 <= c {
                            var acc = bias.map { load16($0 + j) } ?? .zero
                            for a in stride(from: 1, through: ry[0], by: 1) {
                                for b in stride(from: 1, through: cx[0], by: 1) { acc += load16(src + ry[a] + cx[b] + j) }
                            }
                            if relu { acc.replace(with: 0, where: acc .< 0) }
                            if let mask { acc.replace(with: 0, where: load16(mask + pixel + j) .<= 0) }
                            store16(acc, out + j)
                            j += 16
                        }
                        while j < c {
                            var acc = bias?[j] ?? 0
                            for a in stride(from: 1, through: ry[0], by: 1) {
                                for b in stride(from: 1, through: cx[0], by: 1) { acc += src[ry[a] + cx[b] + j] }
                            }
                            if relu && acc < 0 { acc = 0 }
                            if let mask, !(mask[pixel + j] > 0) { acc = 0 }
                            out[j] = acc
                            j += 1
                        }
                    }
                }
            }
        }
    }
    if case .reluBackward(_, let biasGrad) = epilogue {
        sumRows(image, rows: n * g.height * g.width, cols: c, into: biasGrad)
    }
}

/// sums (C) += Σ_rows x (R, C), rows in order.
func sumRows(_ x: UnsafePointer<Float>, rows: Int, cols c: Int, into sums: UnsafeMutablePointer<Float>) {
    for r in 0 ..< rows {
        let row = x + r * c
        for j in 0 ..< c { sums[j] += row[j] }
    }
}

/// Runs `body(lo, hi)` over the images split into as many contiguous ranges as OpenBLAS has
/// threads, in parallel (each image is written by exactly one thread, so the results are the same
/// for any split); batches under 8 images run on the calling thread.
@inline(__always)
func parallelOverImages(_ n: Int, _ body: (Int, Int) -> Void) {
    let parts = n < 8 ? 1 : min(Int(openblas_get_num_threads()), n / 4)
    if parts <= 1 {
        body(0, n)
        return
    }
    withoutActuallyEscaping(body) { body in
        let task = ImageRange(body: body, n: n, parts: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            task.body(part * task.n / task.parts, (part + 1) * task.n / task.parts)
        }
    }
}

/// A body and its image count handed to the worker threads.
private struct ImageRange: @unchecked Sendable {
    let body: (Int, Int) -> Void
    let n: Int
    let parts: Int
}
