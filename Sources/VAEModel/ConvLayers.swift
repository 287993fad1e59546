// The convolutional layers of the encoder and the decoder, forward and backward, each pair on one
// screen. A convolution is im2col then a linear layer over the patches (k·k·Ci inputs, Co outputs
// per output pixel); a transposed convolution is a linear layer (Ci inputs, k·k·Co outputs per
// input pixel) then col2im (Convolution.swift). Each pass runs a chunk of images at a time
// (`ImageChunks`). Forward keeps every post-ReLU output for backward; backward sets every weight
// gradient (the first chunk's product clears it, `linearBackward`) and adds into the bias
// gradients. Arguments come as in llm.c: outputs and saved values first, then inputs, weights
// and sizes.
//
// N = images (B examples in the encoder, R = L·B rows in the decoder), Hi × Wi × Ci and
// Ho × Wo × Co = a layer's input and output (channels last), k = kernel, P = parameters.

/// The chunks of images the conv passes run over, and the scratch one chunk uses.
///
/// A chunk's im2col matrix and the products that write or read it stay in cache: a product adds
/// into memory its caller set (beta 1), and col2im sums it within L2, where one matrix for a whole
/// slice would go out to memory and back several times. The chunks are a fixed rule of the image
/// count, so a pass has the same bits on every run; another chunking gives the same outputs to
/// rounding only (the weight gradients are sums over the chunks, and OpenBLAS may round a row of a
/// product differently with the rows around it).
struct ImageChunks {
    let cols: UnsafeMutablePointer<Float>           // (chunk, G_h·G_w, k·k·C) one chunk's patches
    let patchGradient: UnsafeMutablePointer<Float>  // (chunk, G_h·G_w, k·k·C) their gradient
    /// The threads the image passes are split over.
    let pool: WorkerPool
    /// The largest im2col matrix of one chunk, in Floats (at most `Workspace.chunkFloats`).
    let chunkFloats: Int

    /// Calls `body(first, count)` on consecutive chunks of `images` images:
    /// `Workspace.chunkImages` of them for `chunkFloats`.
    func forEach(images: Int, colsPerImage: Int, _ body: (Int, Int) -> Void) {
        let chunk = Workspace.chunkImages(colsPerImage: colsPerImage, chunkFloats: chunkFloats)
        var lo = 0
        while lo < images {
            let n = min(chunk, images - lo)
            body(lo, n)
            lo += n
        }
    }
}

// MARK: - The encoder's convolutions

/// The convolutions: y_i = ReLU(conv_i(y_i-1) + b_i), y_-1 = x, each a chunk of images at a
/// time: im2col, product, bias, ReLU.
/// - Parameters:
///   - outputs: (N, Ho, Wo, Co) each convolution's post-ReLU output, kept for backward.
///   - x: (N, H, W, C) the first convolution's input.
///   - p: the parameters (P), at the offsets of `layers`.
func convEncoderForward(_ outputs: [UnsafeMutablePointer<Float>], _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                        layers: [ConvView], images b: Int, chunks: ImageChunks) {
    var input = x
    for (i, v) in layers.enumerated() {
        let outPixels = v.outHeight * v.outWidth, inImage = v.inHeight * v.inWidth * v.inChannels
        let layerInput = input, output = outputs[i]
        chunks.forEach(images: b, colsPerImage: v.patches.colsSize) { lo, n in
            let y = output + lo * outPixels * v.outChannels
            im2col(chunks.cols, layerInput + lo * inImage, images: n, v.patches, pool: chunks.pool)
            linearForward(y, chunks.cols, p + v.weightOffset, bias: p + v.biasOffset,
                          rows: n * outPixels, inputs: v.patchSize, outputs: v.outChannels)
            reluForward(y, count: n * outPixels * v.outChannels)
        }
        input = UnsafePointer(output)
    }
}

/// Backward through the convolutions, from the gradient of the last one's ReLU output down to the
/// first one's weights, and the gradient of x's images from `inputGradientFrom` on when
/// `inputGradient` is given (the VampPrior's pseudo-inputs).
///
/// A chunk of images at a time, backward makes the chunk's patches again (im2col of the layer's
/// input, cheaper than keeping the whole batch's in memory), adds dyᵀ · cols into the weight
/// gradient, and takes the patches' gradient dy · W through col2im, fused with the previous
/// layer's ReLU mask and bias gradient.
/// - Parameters:
///   - g: the gradients (P), at the offsets of `layers`.
///   - dTop: (N, Ho, Wo, Co) the gradient of the last convolution's output, masked in place.
///   - outputs, x, p: as in `convEncoderForward`.
///   - inputGradient: (N - inputGradientFrom, H, W, C) output, or nil.
///   - scratch: the next free (N, W) buffer for a layer's input gradient.
func convEncoderBackward(_ g: UnsafeMutablePointer<Float>, _ dTop: UnsafeMutablePointer<Float>,
                         _ outputs: [UnsafeMutablePointer<Float>], _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                         layers: [ConvView], images b: Int, chunks: ImageChunks,
                         inputGradient: UnsafeMutablePointer<Float>? = nil, inputGradientFrom first: Int = 0,
                         scratch: () -> UnsafeMutablePointer<Float>) {
    let k = layers.count
    let last = layers[k - 1]
    reluBiasBackward(dTop, g + last.biasOffset, outputs[k - 1],
                     rows: b * last.outHeight * last.outWidth, cols: last.outChannels)
    var dy = dTop
    for (i, v) in layers.enumerated().reversed() {
        let outPixels = v.outHeight * v.outWidth, inImage = v.inHeight * v.inWidth * v.inChannels
        let input = i == 0 ? x : UnsafePointer(outputs[i - 1])
        let dx: UnsafeMutablePointer<Float>? = i == 0 ? nil : scratch()
        let w = p + v.weightOffset, dyAll = dy
        chunks.forEach(images: b, colsPerImage: v.patches.colsSize) { lo, n in
            let dyChunk = dyAll + lo * outPixels * v.outChannels
            im2col(chunks.cols, input + lo * inImage, images: n, v.patches, pool: chunks.pool)
            linearBackward(nil, g + v.weightOffset, dyChunk, chunks.cols, w,
                           rows: n * outPixels, inputs: v.patchSize, outputs: v.outChannels, accumulate: lo > 0)
            if let dx {
                linearInputGradient(chunks.patchGradient, dyChunk, w,
                                    rows: n * outPixels, inputs: v.patchSize, outputs: v.outChannels)
                col2im(dx + lo * inImage, chunks.patchGradient, images: n, v.patches, pool: chunks.pool,
                       epilogue: .reluBackward(output: input + lo * inImage, biasGrad: g + layers[i - 1].biasOffset))
            }
        }
        if let dx { dy = dx }
    }
    guard let inputGradient else { return }
    let v = layers[0], outPixels = v.outHeight * v.outWidth, inImage = v.inHeight * v.inWidth * v.inChannels
    chunks.forEach(images: b - first, colsPerImage: v.patches.colsSize) { lo, n in
        linearInputGradient(chunks.patchGradient, dy + (first + lo) * outPixels * v.outChannels, p + v.weightOffset,
                            rows: n * outPixels, inputs: v.patchSize, outputs: v.outChannels)
        col2im(inputGradient + lo * inImage, chunks.patchGradient, images: n, v.patches, pool: chunks.pool, epilogue: .sum)
    }
}

// MARK: - The decoder's transposed convolutions

/// The transposed convolutions: y_j = ReLU(convᵀ_j(y_j-1) + b_j), the last without the ReLU,
/// each a chunk of images at a time: product, then col2im with the bias and ReLU.
/// - Parameters:
///   - y: (N, H, W, C) the last one's output (the logits).
///   - activations: (N, Hi, Wi, Ci) each one's input: [0] the projection's output, given; the
///     others written here (the outputs of every transposed convolution but the last), kept for
///     backward.
///   - p: the parameters (P), at the offsets of `layers`.
func convDecoderForward(_ y: UnsafeMutablePointer<Float>, _ activations: [UnsafeMutablePointer<Float>], _ p: UnsafePointer<Float>,
                        layers: [ConvView], images r: Int, chunks: ImageChunks) {
    for (j, v) in layers.enumerated() {
        let isLast = j == layers.count - 1
        let input = activations[j], output = isLast ? y : activations[j + 1]
        let inPixels = v.inHeight * v.inWidth, outImage = v.outHeight * v.outWidth * v.outChannels
        chunks.forEach(images: r, colsPerImage: v.patches.colsSize) { lo, n in
            linearForward(chunks.cols, input + lo * inPixels * v.inChannels, p + v.weightOffset, bias: nil,
                          rows: n * inPixels, inputs: v.inChannels, outputs: v.patchSize)
            col2im(output + lo * outImage, chunks.cols, images: n, v.patches, pool: chunks.pool,
                   epilogue: .bias(p + v.biasOffset, relu: !isLast))
        }
    }
}

/// Backward through the transposed convolutions, from dy, the gradient of the last one's output,
/// down to the gradient of the first one's input `activations[0]` (returned, without the mask of
/// the ReLU that made that input: the caller's layer applies it), the ReLU masks and bias
/// gradients of the layers in between applied. The last one's bias gradient is the caller's,
/// summed where dy was made.
///
/// Backward of a transposed convolution is im2col of dy, then the linear backward, a chunk of
/// images at a time (the weight gradient adds up over the chunks).
/// - Parameters:
///   - g: the gradients (P), at the offsets of `layers`.
///   - dy: (N, H, W, C) the gradient of the logits.
///   - activations, p: as in `convDecoderForward`.
///   - scratch: the next free (N, W) buffer for a layer's input gradient.
/// - Returns: (N, Hi, Wi, Ci) of the first one, the gradient of `activations[0]`, in a scratch buffer.
func convDecoderBackward(_ g: UnsafeMutablePointer<Float>, _ dy: UnsafeMutablePointer<Float>,
                         _ activations: [UnsafeMutablePointer<Float>], _ p: UnsafePointer<Float>,
                         layers: [ConvView], images r: Int, chunks: ImageChunks,
                         scratch: () -> UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
    var dy = dy
    for (j, v) in layers.enumerated().reversed() {
        let dx = scratch(), dyAll = dy
        let x = activations[j]
        let inPixels = v.inHeight * v.inWidth, outImage = v.outHeight * v.outWidth * v.outChannels
        chunks.forEach(images: r, colsPerImage: v.patches.colsSize) { lo, n in
            im2col(chunks.cols, dyAll + lo * outImage, images: n, v.patches, pool: chunks.pool)
            linearBackward(dx + lo * inPixels * v.inChannels, g + v.weightOffset, chunks.cols,
                           x + lo * inPixels * v.inChannels, p + v.weightOffset,
                           rows: n * inPixels, inputs: v.inChannels, outputs: v.patchSize, accumulate: lo > 0)
        }
        if j > 0 {
            reluBiasBackward(dx, g + layers[j - 1].biasOffset, x, rows: r * inPixels, cols: v.inChannels)
        }
        dy = dx
    }
    return dy
}
