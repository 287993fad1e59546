// The linear layer and the ReLU, forward and backward, over OpenBLAS, and the MLP made of them
// (`mlpForward`, `mlpBackward`). Every matrix product of the model goes through `cblas_sgemm`
// here, with the weight kept in PyTorch's (out, in) layout and the transposes chosen so that
// nothing is ever copied or transposed by hand.
//
// R = rows (examples, or examples x samples), I = inputs of the layer, O = outputs of the layer,
// h_i = hidden widths, W = the widest activation per row, P = parameters.
// Backward functions set the weight gradients (cleared right before their product adds into them)
// and the input gradients, and add into the bias gradients, which `VAE.forwardBackward` clears at
// its start. sgemm always runs with beta 1 into memory cleared or set by us in one pass: for
// beta 0 OpenBLAS clears the output itself one row at a time, a call of memset per row.
import COpenBLAS

/// y (R, O) = x (R, I) · Wᵀ + b, W (O, I), b (O) or none: y starts as b in every row (or 0) and
/// sgemm adds the product into it (beta 1). The product followed by a bias pass to rounding (the
/// same bits where OpenBLAS adds the whole sum to b at once, not where it adds it by blocks of I),
/// without that pass, and without OpenBLAS's own clearing of y for beta 0, which it does one row
/// at a time: a call of memset per row of O floats.
@inline(__always)
func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                   bias: UnsafePointer<Float>?, rows: Int, inputs: Int, outputs: Int) {
    if let bias {
        for r in 0 ..< rows { (y + r * outputs).update(from: bias, count: outputs) }
    } else {
        y.update(repeating: 0, count: rows * outputs)
    }
    addProduct(y, x, transposeA: false, w, transposeB: true, m: rows, n: outputs, k: inputs)
}

/// dW (O, I) = dyᵀ (O, R) · x (R, I), or dW += dyᵀ · x when `accumulate` (a later chunk of the
/// same layer's rows);  dx (R, I) = dy (R, O) · W (O, I) when `dx` is given.
/// dW is cleared here, right before the product adds into it (beta 1), so its lines are in cache
/// for the product; a weight gradient is set by its layer's first call in a pass, whatever it held.
/// The bias gradient is accumulated by the caller's fused pass over dy.
@inline(__always)
func linearBackward(_ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>,
                    _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                    rows: Int, inputs: Int, outputs: Int, accumulate: Bool = false) {
    if !accumulate { dw.update(repeating: 0, count: outputs * inputs) }
    addProduct(dw, dy, transposeA: true, x, transposeB: false, m: outputs, n: inputs, k: rows)
    if let dx { linearInputGradient(dx, dy, w, rows: rows, inputs: inputs, outputs: outputs) }
}

/// dx (R, I) = dy (R, O) · W (O, I): the input gradient of `linearBackward` alone. dx is cleared
/// in one pass and the product added into it (beta 1), as in `linearForward`.
@inline(__always)
func linearInputGradient(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         rows: Int, inputs: Int, outputs: Int) {
    dx.update(repeating: 0, count: rows * inputs)
    addProduct(dx, dy, transposeA: false, w, transposeB: false, m: rows, n: inputs, k: outputs)
}

/// C (M, N) += op(A) (M, K) · op(B) (K, N), all row-major, op(X) = Xᵀ when X is stored transposed:
/// the one `cblas_sgemm` call of the model, always with beta 1, into memory its caller has set.
@inline(__always)
func addProduct(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, transposeA: Bool,
                _ b: UnsafePointer<Float>, transposeB: Bool, m: Int, n: Int, k: Int) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                1, c, Int32(n))
}

/// ReLU in place: y = max(y, 0) over `count` Floats.
@inline(__always)
func reluForward(_ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0 ..< count {
        let v = y[i]
        y[i] = v > 0 ? v : 0
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


// MARK: - A stack of linear layers (the MLP)

/// The hidden layers (linear, bias, ReLU; each output kept in `activations`), then the last
/// layer (linear and bias, no activation) into y.
/// - Parameters:
///   - y: (R, last.outputs) the last layer's output.
///   - activations: (R, h_i) each hidden layer's post-ReLU output, kept for backward.
///   - x: (R, I) the first layer's input.
///   - p: the parameters (P), at the offsets of `hidden` and `last`.
func mlpForward(_ y: UnsafeMutablePointer<Float>, _ activations: [UnsafeMutablePointer<Float>], _ x: UnsafePointer<Float>,
                _ p: UnsafePointer<Float>, hidden: [LinearView], last: LinearView, rows: Int) {
    var input = x
    for (v, h) in zip(hidden, activations) {
        linearForward(h, input, p + v.weightOffset, bias: p + v.biasOffset, rows: rows, inputs: v.inputs, outputs: v.outputs)
        reluForward(h, count: rows * v.outputs)
        input = UnsafePointer(h)
    }
    linearForward(y, input, p + last.weightOffset, bias: p + last.biasOffset,
                  rows: rows, inputs: last.inputs, outputs: last.outputs)
}

/// Backward through `mlpForward`: from dy, the gradient of the last layer's output, down to dx,
/// the gradient of x (nil: not needed). Sets the weight gradients and adds into the bias
/// gradients of the hidden layers (the last layer's bias gradient is the caller's, summed where
/// dy was made).
/// - Parameters:
///   - dx: (R - inputGradientFrom, I), the gradient of x's rows from `inputGradientFrom` on, or nil.
///   - g: the gradients (P), at the offsets of `hidden` and `last`.
///   - dy: (R, last.outputs).
///   - activations, x, p: as in `mlpForward`.
///   - scratch: the next free (R, W) buffer for a hidden layer's gradient.
func mlpBackward(_ dx: UnsafeMutablePointer<Float>?, _ g: UnsafeMutablePointer<Float>, _ dy: UnsafeMutablePointer<Float>,
                 _ activations: [UnsafeMutablePointer<Float>], _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                 hidden: [LinearView], last: LinearView, rows: Int, inputGradientFrom first: Int = 0,
                 scratch: () -> UnsafeMutablePointer<Float>) {
    var dy = dy
    for i in stride(from: hidden.count, through: 0, by: -1) {
        let v = i == hidden.count ? last : hidden[i]
        let input = i == 0 ? x : UnsafePointer(activations[i - 1])
        let d: UnsafeMutablePointer<Float>? = i == 0 ? dx : scratch()
        if i == 0 && first > 0 {
            linearBackward(nil, g + v.weightOffset, dy, input, p + v.weightOffset, rows: rows, inputs: v.inputs, outputs: v.outputs)
            if let d {
                linearInputGradient(d, dy + first * v.outputs, p + v.weightOffset, rows: rows - first,
                                    inputs: v.inputs, outputs: v.outputs)
            }
            break
        }
        linearBackward(d, g + v.weightOffset, dy, input, p + v.weightOffset,
                       rows: rows, inputs: v.inputs, outputs: v.outputs)
        if i > 0, let d {
            reluBiasBackward(d, g + hidden[i - 1].biasOffset, activations[i - 1],
                             rows: rows, cols: hidden[i - 1].outputs)
            dy = d
        }
    }
}
