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
import Foundation

/// The geometry shared by a convolution and its adjoint: the image, the patch grid and the kernel,
/// with col2im's tap tables computed once.
struct PatchGeometry: Equatable, Sendable {
    let height, width, channels: Int
    let gridHeight, gridWidth: Int
    let kernel, stride, padding: Int
    /// The patches that cover each image row y, t + 1 entries per row: the count, then for each
    /// (gy, ky) with gy·s - p + ky = y the offset gy·G_w·k·k·C + ky·k·C of its rows in one
    /// image's cols; t = ceil(k/s).
    let rowTaps: [Int]
    /// The same for each image column x: count, then gx·k·k·C + kx·C for each (gx, kx).
    let colTaps: [Int]

    init(height: Int, width: Int, channels: Int, gridHeight: Int, gridWidth: Int, kernel: Int, stride: Int, padding: Int) {
        (self.height, self.width, self.channels) = (height, width, channels)
        (self.gridHeight, self.gridWidth) = (gridHeight, gridWidth)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
        let (k, s, p, c) = (kernel, stride, padding, channels)
        let t = (k + s - 1) / s
        func taps(size: Int, grid: Int, gridStep: Int, tapStep: Int) -> [Int] {
            var out = [Int](repeating: 0, count: size * (t + 1))
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
            return out
        }
        rowTaps = taps(size: height, grid: gridHeight, gridStep: gridWidth * k * k * c, tapStep: k * c)
        colTaps = taps(size: width, grid: gridWidth, gridStep: k * k * c, tapStep: c)
    }

    /// k·k·C, the length of one patch row.
    var patchSize: Int { kernel * kernel * channels }
    var imageSize: Int { height * width * channels }
    /// G_h·G_w·k·k·C, the im2col matrix of one image.
    var colsSize: Int { gridHeight * gridWidth * patchSize }
    /// t + 1, the entries per row or column in the tap tables.
    var tapStride: Int { (kernel + stride - 1) / stride + 1 }
}

/// What col2im does with each summed image pixel (a vector of C channels) before storing it.
enum Col2imEpilogue {
    /// Forward of a transposed convolution: v = Σ + bias (C), then max(v, 0) when `relu`.
    case bias(UnsafePointer<Float>, relu: Bool)
    /// Backward of a convolution into the previous layer's ReLU output y (N, H, W, C):
    /// v = y > 0 ? Σ : 0, and biasGrad (C) += v (the previous layer's bias gradient).
    case reluBackward(output: UnsafePointer<Float>, biasGrad: UnsafeMutablePointer<Float>)
    /// Backward of a convolution into its input: v = Σ.
    case sum
}

/// Copies every patch of `images` images into the rows of `cols`.
///
/// ```
/// cols[n, gy, gx, ky, kx, c] = image[n, gy·s - p + ky, gx·s - p + kx, c]   (0 outside the image)
/// ```
/// - Parameters: cols: (N, G_h, G_w, k, k, C) output; image: (N, H, W, C); pool: the threads
///   the images are split over (see `ImagePass.run(images:pool:)`).
func im2col(_ cols: UnsafeMutablePointer<Float>, _ image: UnsafePointer<Float>, images n: Int, _ g: PatchGeometry,
            pool: WorkerPool) {
    ImagePass.im2col(cols: cols, image: image, geometry: g).run(images: n, pool: pool)
}

/// `im2col` of images lo ..< hi.
private func im2col(_ cols: UnsafeMutablePointer<Float>, _ image: UnsafePointer<Float>, _ g: PatchGeometry, _ lo: Int, _ hi: Int) {
    let c = g.channels, k = g.kernel
    let rowStride = g.width * c
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
/// - Parameters: image: (N, H, W, C) output; cols: (N, G_h, G_w, k, k, C); pool: as for `im2col`.
func col2im(_ image: UnsafeMutablePointer<Float>, _ cols: UnsafePointer<Float>, images n: Int,
            _ g: PatchGeometry, pool: WorkerPool, epilogue: Col2imEpilogue) {
    ImagePass.col2im(image: image, cols: cols, geometry: g, epilogue: epilogue).run(images: n, pool: pool)
    if case .reluBackward(_, let biasGrad) = epilogue {
        sumRows(image, rows: n * g.height * g.width, cols: g.channels, into: biasGrad)
    }
}

/// `col2im` of images lo ..< hi, without the bias gradient's sum.
private func col2im(_ image: UnsafeMutablePointer<Float>, _ cols: UnsafePointer<Float>, _ g: PatchGeometry,
                    _ epilogue: Col2imEpilogue, _ lo: Int, _ hi: Int) {
    let c = g.channels
    var bias: UnsafePointer<Float>? = nil, relu = false, mask: UnsafePointer<Float>? = nil
    switch epilogue {
    case .bias(let b, let r): (bias, relu) = (b, r)
    case .reluBackward(let y, _): mask = y
    case .sum: break
    }
    let t1 = g.tapStride
    g.rowTaps.withUnsafeBufferPointer { rowTaps in g.colTaps.withUnsafeBufferPointer { colTaps in
        let rows = rowTaps.baseAddress!, cols2 = colTaps.baseAddress!
            for i in lo ..< hi {
                let src = cols + i * g.colsSize
                for y in 0 ..< g.height {
                    let ry = rows + y * t1
                    for x in 0 ..< g.width {
                        let cx = cols2 + x * t1
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
    } }
}

/// sums (C) += Σ_rows x (R, C), rows in order.
func sumRows(_ x: UnsafePointer<Float>, rows: Int, cols c: Int, into sums: UnsafeMutablePointer<Float>) {
    for r in 0 ..< rows {
        let row = x + r * c
        for j in 0 ..< c { sums[j] += row[j] }
    }
}

/// One of the image passes with its arguments.
enum ImagePass {
    case im2col(cols: UnsafeMutablePointer<Float>, image: UnsafePointer<Float>, geometry: PatchGeometry)
    case col2im(image: UnsafeMutablePointer<Float>, cols: UnsafePointer<Float>, geometry: PatchGeometry,
                epilogue: Col2imEpilogue)

    /// The pass over images lo ..< hi.
    func run(_ lo: Int, _ hi: Int) {
        switch self {
        case .im2col(let cols, let image, let g): VAEModel.im2col(cols, image, g, lo, hi)
        case .col2im(let image, let cols, let g, let epilogue): VAEModel.col2im(image, cols, g, epilogue, lo, hi)
        }
    }

    /// The pass over `n` images, split over the model's threads (part k takes images
    /// [k·n/T, (k+1)·n/T)). Each image is written by exactly one part, so the results are the same
    /// for any split. Inside a data-parallel slice the pool's run is nested and the parts run
    /// one after another on the slice's thread; batches under 8 images run on the calling thread.
    func run(images n: Int, pool: WorkerPool) {
        if n < 8 || pool.threads < 2 {
            run(0, n)
        } else {
            pool.run { k in
                let part = WorkerPool.slice(k, of: n, parts: pool.threads)
                run(part.lowerBound, part.upperBound)
            }
        }
    }
}
