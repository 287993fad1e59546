// Every activation and scratch buffer of one forward and backward pass, allocated once for a
// maximum batch B and number of samples L, so that a training step allocates nothing.
//
// B = batch capacity, L = samples capacity, D = input size, Z = latent size, h_i = hidden widths,
// W = the widest of the hidden layers and 2Z.

/// The activations and scratch memory of a VAE, one allocation carved into named buffers.
final class Workspace {
    /// B, the most examples one pass can take.
    let batch: Int
    /// L, the most samples per example one pass can take (B·L decoder rows).
    let samples: Int
    var rows: Int { batch * samples }

    private let memory: UnsafeMutablePointer<Float>
    private let total: Int

    let encoder: [UnsafeMutablePointer<Float>]  // (B, h_i) each, post-ReLU
    let head: UnsafeMutablePointer<Float>       // (B, 2Z) [mu | logvar]
    let sigma: UnsafeMutablePointer<Float>      // (B, Z) exp(logvar / 2)
    let kl: UnsafeMutablePointer<Float>         // (B)
    let eps: UnsafeMutablePointer<Float>        // (L·B, Z) standard normals, sample-major
    let z: UnsafeMutablePointer<Float>          // (L·B, Z)
    let decoder: [UnsafeMutablePointer<Float>]  // (L·B, h) each, post-ReLU, latent side first
    let logits: UnsafeMutablePointer<Float>     // (L·B, D), overwritten by their gradient in backward
    let logLik: UnsafeMutablePointer<Float>     // (L·B) log p(x | z of the row)
    let gradA: UnsafeMutablePointer<Float>      // (L·B, W) scratch for hidden-layer gradients
    let gradB: UnsafeMutablePointer<Float>      // (L·B, W) the other half of the ping-pong
    let dz: UnsafeMutablePointer<Float>         // (L·B, Z)
    let dHead: UnsafeMutablePointer<Float>      // (B, 2Z)
    let logVariance: UnsafeMutablePointer<Float>  // (D) per-pixel log-variance (Gaussian)
    let precision: UnsafeMutablePointer<Float>  // (D) exp(-logVariance)

    init(config c: ModelConfig, batch: Int, samples: Int) {
        self.batch = batch
        self.samples = samples
        let b = batch, r = batch * samples, d = c.inputSize, zs = c.latentSize
        let w = max(c.hiddenSizes.max() ?? 0, 2 * zs)
        var sizes: [Int] = c.hiddenSizes.map { b * $0 }              // encoder
        sizes += [b * 2 * zs, b * zs, b, r * zs, r * zs]              // head, sigma, kl, eps, z
        sizes += c.hiddenSizes.reversed().map { r * $0 }              // decoder
        sizes += [r * d, r, r * w, r * w, r * zs, b * 2 * zs, d, d]   // logits ... precision
        total = sizes.reduce(0, +)
        memory = .allocate(capacity: total)
        memory.initialize(repeating: 0, count: total)
        var offset = 0
        var views: [UnsafeMutablePointer<Float>] = []
        for s in sizes {
            views.append(memory + offset)
            offset += s
        }
        let k = c.hiddenSizes.count
        encoder = Array(views[0 ..< k])
        head = views[k]; sigma = views[k + 1]; kl = views[k + 2]; eps = views[k + 3]; z = views[k + 4]
        decoder = Array(views[k + 5 ..< 2 * k + 5])
        let t = 2 * k + 5
        logits = views[t]; logLik = views[t + 1]; gradA = views[t + 2]; gradB = views[t + 3]
        dz = views[t + 4]; dHead = views[t + 5]; logVariance = views[t + 6]; precision = views[t + 7]
    }

    deinit { memory.deallocate() }
}
