// The linear layer and the ReLU, forward and backward, over OpenBLAS. Every matrix product of the
// model goes through `cblas_sgemm` here, with the weight kept in PyTorch's (out, in) layout and the
// transposes chosen so that nothing is ever copied or transposed by hand.
//
// R = rows (examples, or examples x samples), I = inputs of the layer, O = outputs of the layer.
// Backward functions add into the weight and bias gradients (beta = 1 in sgemm, so OpenBLAS makes
// no clearing pass of its own) and set the input gradients. The gradients are cleared in one
// place, `VAE.zeroGradients()`, at the start of every forward-backward pass.
import COpenBLAS

/// y (R, O) = x (R, I) · Wᵀ, W (O, I). The bias is added by the caller's fused pass.
@inline(__always)
func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                   rows: Int, inputs: Int, outputs: Int) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(rows), Int32(outputs), Int32(inputs),
                1, x, Int32(inputs), w, Int32(inputs),
                0, y, Int32(outputs))
}

/// dW (O, I) += dyᵀ (O, R) · x (R, I);  dx (R, I) = dy (R, O) · W (O, I) when `dx` is given.
/// dW is added into (beta 1): it holds zero on entry, cleared by `VAE.zeroGradients()` at the
/// start of the pass.
/// The bias gradient is accumulated by the caller's fused pass over dy.
@inline(__always)
func linearBackward(_ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>,
                    _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                    rows: Int, inputs: Int, outputs: Int) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                Int32(outputs), Int32(inputs), Int32(rows),
                1, dy, Int32(outputs), x, Int32(inputs),
                1, dw, Int32(inputs))
    if let dx { linearInputGradient(dx, dy, w, rows: rows, inputs: inputs, outputs: outputs) }
}

/// dx (R, I) = dy (R, O) · W (O, I): the input gradient of `linearBackward` alone.
@inline(__always)
func linearInputGradient(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         rows: Int, inputs: Int, outputs: Int) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                Int32(rows), Int32(inputs), Int32(outputs),
                1, dy, Int32(outputs), w, Int32(inputs),
                0, dx, Int32(inputs))
}

/// Fused bias and ReLU in place: y (R, O) = max(y + b, 0), b (O).
@inline(__always)
func biasReLUForward(_ y: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0 ..< rows {
        let row = y + r * cols
        for j in 0 ..< cols {
            let v = row[j] + b[j]
            row[j] = v > 0 ? v : 0
        }
    }
}

/// ReLU backward fused with the bias gradient of the layer that produced y (the post-ReLU output):
/// dy (R, O) = y > 0 ? dy : 0 in place, then db (O) += Σ_rows dy.
@inline(__always)
func reluBiasBackward(_ dy: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>,
                      _ y: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0 ..< rows {
        let drow = dy + r * cols
        let yrow = y + r * cols
        for j in 0 ..< cols {
            let g = yrow[j] > 0 ? drow[j] : 0
            drow[j] = g
            db[j] += g
        }
    }
}

/// Bias without activation in place: y (R, O) += b (O).
@inline(__always)
func biasForward(_ y: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0 ..< rows {
        let row = y + r * cols
        for j in 0 ..< cols { row[j] += b[j] }
    }
}
