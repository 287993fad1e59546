// The conditional VAE's inputs: q(z|x,y) and p(x|z,y) with y one-hot over K classes. The MLP's
// encoder reads [x | y] and its decoder [z | y]; the conv encoder reads y as K constant planes
// after the image's channels (pixel by pixel [x_p | y], channels last), its decoder's projection
// [z | y]. Both are one operation: each row of groups × width values becomes groups × (width + K)
// with y appended to every group. The backward to z keeps the first Z columns of [dz | dy].
//
// B = examples, L = samples per example, R = L·B, D = input size, Z = latent size, K = classes,
// C = image channels, H·W = pixels.

/// out (rows, groups, width + K) = x (rows, groups, width) with one-hot y appended to every group.
///
/// Row i takes the label `labels[i % labelCount]`, so that the L·B rows of z (sample-major) take
/// the labels of their B examples. A label outside 0 ..< K (or no labels) appends zeros.
func appendOneHot(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, groups: Int, width: Int,
                  labels: UnsafePointer<UInt16>?, labelCount: Int, classes k: Int) {
    let w = width + k
    for i in 0 ..< rows {
        let label = labels.map { Int($0[i % labelCount]) } ?? -1
        for g in 0 ..< groups {
            let o = out + (i * groups + g) * w
            o.update(from: x + (i * groups + g) * width, count: width)
            (o + width).update(repeating: 0, count: k)
            if label >= 0 && label < k { o[width + label] = 1 }
        }
    }
}

/// dz (rows, Z) = the first Z columns of dzy (rows, Z + K): the gradient of [z | y] with respect to z.
func dropOneHotGradient(_ dz: UnsafeMutablePointer<Float>, _ dzy: UnsafePointer<Float>, rows: Int, latent zs: Int, classes k: Int) {
    for i in 0 ..< rows { (dz + i * zs).update(from: dzy + i * (zs + k), count: zs) }
}

/// The buffers of a conditional model's pass, sized like the workspace (and grown with it).
final class ConditionBuffers {
    let batch: Int, samples: Int
    /// (B, D + K) MLP, (B, H·W, C + K) conv: the encoder's input.
    let input: UnsafeMutablePointer<Float>
    /// (R, Z + K): the decoder's input [z | y].
    let zy: UnsafeMutablePointer<Float>
    /// (R, Z + K): its gradient.
    let dzy: UnsafeMutablePointer<Float>

    init(config c: ModelConfig, batch: Int, samples: Int) {
        self.batch = batch
        self.samples = samples
        let groups = c.inputGroups
        input = .allocate(capacity: batch * groups.count * (groups.width + c.classCount))
        zy = .allocate(capacity: batch * samples * (c.latentSize + c.classCount))
        dzy = .allocate(capacity: batch * samples * (c.latentSize + c.classCount))
    }

    deinit {
        input.deallocate()
        zy.deallocate()
        dzy.deallocate()
    }
}

extension ModelConfig {
    /// How y joins an example's inputs: after all D of them (MLP: 1 group of D), or after each
    /// pixel's channels (conv: H·W groups of C).
    var inputGroups: (count: Int, width: Int) {
        if case .conv = architecture { return (imageHeight * imageWidth, imageChannels) }
        return (1, inputSize)
    }
}
