// The matrix products of a training step, layer by layer: what the epoch floor of vae-bench
// (VAEBench's `GemmFloor`) and docs/METHOD.md's cost count, and the entry that runs them alone
// through the model's own kernels (`linearForward`, `linearBackward`).
//
// R = rows of a product, I, O = a linear map's inputs and outputs; for a convolution Ho·Wo output
// pixels (Hi·Wi input pixels for a transposed one) and k·k·Ci (k·k·Co) patch length.

/// The three matrix products of one linear map in a training step, y (R, O) = x (R, I) · Wᵀ:
/// forward, the weight gradient dW = dyᵀ · x and, unless it is the first layer, the input gradient
/// dx = dy · W. A convolution is this map on its im2col rows (R = output pixels, I = k·k·Ci,
/// O = Co), a transposed convolution on its input pixels (R = input pixels, I = Ci, O = k·k·Co).
public struct LinearProducts: Equatable, Sendable {
    public let rows, inputs, outputs: Int
    public let inputGradient: Bool

    /// 2·R·I·O for each product.
    public var flops: Double { (inputGradient ? 3 : 2) * 2 * Double(rows) * Double(inputs) * Double(outputs) }
}

extension ParameterLayout {
    /// The matrix products of one training step on `examples` examples with `samples` decoder
    /// rows per example: every linear layer, convolution and transposed convolution, encoder first.
    public func trainingProducts(examples b: Int, samples: Int = 1) -> [LinearProducts] {
        var out: [LinearProducts] = []
        for (i, v) in convEncoder.enumerated() {
            out.append(LinearProducts(rows: b * v.outHeight * v.outWidth, inputs: v.patchSize, outputs: v.outChannels,
                                      inputGradient: i > 0))
        }
        for (i, v) in (encoder + [head]).enumerated() {
            out.append(LinearProducts(rows: b, inputs: v.inputs, outputs: v.outputs,
                                      inputGradient: i > 0 || !convEncoder.isEmpty))
        }
        let r = b * samples
        for v in decoder + (output.map { [$0] } ?? []) {
            out.append(LinearProducts(rows: r, inputs: v.inputs, outputs: v.outputs, inputGradient: true))
        }
        for v in convDecoder {
            out.append(LinearProducts(rows: r * v.inHeight * v.inWidth, inputs: v.inChannels, outputs: v.patchSize,
                                      inputGradient: true))
        }
        return out
    }

    /// The floating-point operations of the matrix products of one training step, per example,
    /// with `samples` decoder rows per example: the `trainingProducts` of one example, 2 per
    /// multiply-add.
    ///
    /// ```
    /// linear:                   3 · 2·I·O              (2·I·O for the first encoder layer)
    /// convolution:              3 · 2·Ho·Wo·k·k·Ci·Co  (2 products for the first)
    /// transposed convolution:   3 · 2·Hi·Wi·k·k·Co·Ci
    /// ```
    /// Decoder layers count `samples` times. Reference (1 × 28 × 28, channels 32, 64, Z = 20):
    /// 21.4 million; MLP 784-400-20: 3.3 million.
    public func trainingFlopsPerExample(samples: Int = 1) -> Double {
        trainingProducts(examples: 1, samples: samples).reduce(0) { $0 + $1.flops }
    }
}

extension LinearProducts {
    /// The products of one training step of this map on the caller's buffers, as the model makes
    /// them: y = x · Wᵀ (`linearForward`, no bias), then dW = yᵀ · x with y as dy and, with
    /// `inputGradient`, dx = y · W written over x (`linearBackward`). For timing the products
    /// alone (vae-bench's product_seconds); the values mean nothing.
    /// - Parameters: y: (R, O); dw: (O, I); x: (R, I); w: (O, I).
    public func run(y: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>, x: UnsafeMutablePointer<Float>,
                    w: UnsafePointer<Float>) {
        linearForward(y, x, w, bias: nil, rows: rows, inputs: inputs, outputs: outputs)
        linearBackward(inputGradient ? x : nil, dw, y, x, w, rows: rows, inputs: inputs, outputs: outputs)
    }
}
