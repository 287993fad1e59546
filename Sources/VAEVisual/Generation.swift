// The five sample sheets of `vae-generate`, each a grid of decoded latent codes: draws from the
// prior, originals over their reconstructions, the manifold over two dimensions, sweeps of single
// dimensions, and a line between two examples. Each function checks its arguments and the size of
// the sheet before the model does any work, then decodes all the codes in one call.
//
// h, w = image height and width (h·w = D), Z = latent size, N = tiles.
import Foundation
import VAECore
import VAEImages
import VAEShards
import VAEModel

/// How a sheet looks: the enlargement and the padding between and around its tiles.
public struct SheetStyle: Equatable, Sendable {
    /// K, each image pixel becomes a K × K block (nearest neighbour).
    public var scale: Int
    /// P, pixels of background around and between the tiles.
    public var pad: Int
    /// The color of the padding (its luma on gray sheets; a plain number is a gray level).
    public var background: RGBColor

    public init(scale: Int = 1, pad: Int = 2, background: RGBColor = 128) {
        self.scale = scale
        self.pad = pad
        self.background = background
    }
}

public enum Generation {
    /// The largest number of tiles a sheet has (rows × cols), whatever their size.
    public static let maxTiles = 65_536
    /// The largest --steps of the grids.
    public static let maxSteps = 256

    /// Latent dimensions as the user writes them, numbered from 1 like the CSV's `mu_1 ... mu_Z`:
    /// `"3"`, `"1,2"`. Returns them numbered from 0.
    /// - Throws: `VisualError` for text that is not a list of integers or a dimension outside 1...Z.
    public static func parseDimensions(_ text: String, latent zs: Int) throws(VisualError) -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var dims: [Int] = []
        for part in parts {
            guard let d = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw VisualError("--dims must be latent dimensions separated by commas (numbered from 1), got '\(text)'")
            }
            guard (1...zs).contains(d) else {
                throw VisualError("--dims \(d) is outside the latent dimensions of the checkpoint (1 to \(zs))")
            }
            dims.append(d - 1)
        }
        return dims
    }

    /// The image shape of the model's tiles, checked against its input size.
    public static func checkShape(_ shape: ImageShape, model: VAE) throws(VisualError) {
        guard shape.pixels == model.config.inputSize, shape.channels == 1 || shape.channels == 3 else {
            throw VisualError("images of \(shape.width)x\(shape.height)x\(shape.channels) samples do not fit a model of \(model.config.inputSize) inputs")
        }
    }

    /// The decoder's means for (N, Z) codes, of a conditional model with the class of each code
    /// (`labels`, N). - Returns: (N, D).
    static func decode(_ model: VAE, _ z: [Float], labels: [UInt16]? = nil) -> [Float] {
        let count = z.count / model.config.latentSize
        var means = [Float](repeating: 0, count: count * model.config.inputSize)
        z.withUnsafeBufferPointer { zp in
            means.withUnsafeMutableBufferPointer { out in
                if let labels, model.config.isConditional {
                    labels.withUnsafeBufferPointer { model.decode(z: zp.baseAddress!, count: count, means: out.baseAddress!, labels: $0.baseAddress!) }
                } else {
                    model.decode(z: zp.baseAddress!, count: count, means: out.baseAddress!)
                }
            }
        }
        return means
    }

    /// The class `text` names for a conditional model: one of its class names, or an index
    /// from 0. Throws for an unconditional model and for anything else, listing the names.
    public static func classIndex(_ text: String, model: VAE) throws(VisualError) -> UInt16 {
        let names = model.config.classNames
        guard !names.isEmpty else { throw VisualError("--class \(text): the model is not conditional (trained without --conditional)") }
        if let i = names.firstIndex(of: text) { return UInt16(i) }
        if let i = Int(text), (0..<names.count).contains(i) { return UInt16(i) }
        throw VisualError("--class \(text) is not a class of the model; the classes are \(names.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))")
    }

    /// The class a conditional model decodes with: `label`, else (when `label` is nil) an error
    /// asking for --class; nil for an unconditional model.
    static func requiredClass(_ label: UInt16?, model: VAE) throws(VisualError) -> UInt16? {
        guard model.config.isConditional else { return nil }
        guard let label else {
            throw VisualError("the model is conditional: give --class, one of \(model.config.classNames.joined(separator: ", "))")
        }
        return label
    }

    /// The labels of the examples `indices` of `split` for a conditional model; nil otherwise.
    public static func exampleLabels(model: VAE, dataset: ShardDataset, split: Split, indices: [Int]) throws -> [UInt16]? {
        guard model.config.isConditional else { return nil }
        let labels = try dataset.examples(at: indices, split: split).labels
        guard labels.allSatisfy({ Int($0) < model.config.classCount }) else {
            throw VisualError("\(dataset.directory): examples without a class of the model (unlabelled data?)")
        }
        return labels
    }

    /// Places N = rows·cols images (N, D) in [0, 1] row by row, D = h·w·`channels`.
    static func sheet(_ layout: SheetLayout, _ style: SheetStyle, channels: Int, images: [Float]) -> Sheet {
        var sheet = Sheet(layout: layout, channels: channels, background: style.background)
        let p = layout.tileWidth * layout.tileHeight * channels
        images.withUnsafeBufferPointer { all in
            for t in 0..<min(layout.rows * layout.cols, all.count / p) {
                sheet.place(intensities: UnsafeBufferPointer(rebasing: all[t * p..<(t + 1) * p]),
                            row: t / layout.cols, col: t % layout.cols)
            }
        }
        return sheet
    }

    static func layout(rows: Int, cols: Int, shape: ImageShape, style: SheetStyle, margin: Int = 0,
                       top: Int = 0) throws(VisualError) -> SheetLayout {
        guard rows <= maxTiles, cols <= maxTiles, rows * cols <= maxTiles else {
            throw VisualError("a sheet of \(rows)x\(cols) tiles is over the limit of \(maxTiles) tiles")
        }
        return try SheetLayout(rows: rows, cols: cols, tileHeight: shape.height, tileWidth: shape.width,
                               scale: style.scale, pad: style.pad, margin: margin, top: top)
    }

    static func checkSteps(_ steps: Int, minimum: Int = 2) throws(VisualError) {
        guard (minimum...maxSteps).contains(steps) else {
            throw VisualError("--steps must be between \(minimum) and \(maxSteps), got \(steps)")
        }
    }

    // MARK: - Sheets

    /// rows × cols images decoded from z ~ N(0, T² I).
    ///
    /// Each pixel is the decoder's mean, or with `samplePixels` a draw from p(x|z): for the
    /// Bernoulli likelihood 0 or 1 with the mean as probability (`u < mean`, u uniform); for a
    /// Gaussian one mean + σ_d·ε clamped to [0, 1], with σ_d the fixed sigma or exp(logvar_d / 2).
    /// All the codes are drawn first, then all the pixels, from `SeededRandom(seed: seed)`.
    /// A conditional model decodes every tile with class `label`, named in a title band above the
    /// tiles (`Sheet.drawTitle`), or without one, row r with class r mod K.
    public static func samples(model: VAE, shape: ImageShape, rows: Int, cols: Int, temperature: Float,
                               samplePixels: Bool, seed: UInt64, style: SheetStyle, label: UInt16? = nil) throws -> Sheet {
        try checkShape(shape, model: model)
        guard temperature >= 0, temperature.isFinite, temperature <= 100 else {
            throw VisualError("--temperature must be between 0 and 100, got \(temperature)")
        }
        let names = model.config.classNames
        let title = label.flatMap { Int($0) < names.count ? names[Int($0)] : nil }
        let layout = try layout(rows: rows, cols: cols, shape: shape, style: style, top: title == nil ? 0 : Sheet.titleBand)
        var rng = SeededRandom(seed: seed)
        let z = model.samplePrior(count: rows * cols, temperature: temperature, rng: &rng)
        let k = max(model.config.classCount, 1)
        var means = decode(model, z, labels: (0..<rows * cols).map { label ?? UInt16(($0 / cols) % k) })
        if samplePixels { drawPixels(&means, model: model, rng: &rng) }
        var out = sheet(layout, style, channels: shape.channels, images: means)
        if let title { try out.drawTitle(title, background: style.background) }
        return out
    }

    /// The VampPrior's pseudo-inputs u_k as images, K tiles `cols` to a row in the order of the
    /// parameters, each pixel clamped to [0, 1] (they are free parameters, and may leave it).
    public static func pseudoInputs(model: VAE, shape: ImageShape, cols: Int, style: SheetStyle) throws -> Sheet {
        try checkShape(shape, model: model)
        let k = model.config.prior.pseudoInputs
        guard k > 0 else {
            throw VisualError("the model's prior is N(0, I): it has no pseudo-inputs (train with --prior vamp)")
        }
        let layout = try layout(rows: (k + cols - 1) / cols, cols: cols, shape: shape, style: style)
        let images = model.pseudoInputs.map { min(max($0, 0), 1) }
        return sheet(layout, style, channels: shape.channels, images: images)
    }

    /// Replaces decoder means (N, D) by draws from p(x|z) (see `samples`).
    static func drawPixels(_ means: inout [Float], model: VAE, rng: inout SeededRandom) {
        let d = model.config.inputSize
        switch model.config.likelihood {
        case .bernoulli:
            for i in means.indices { means[i] = rng.uniform() < means[i] ? 1 : 0 }
        case .gaussianFixed, .gaussianLearned:
            var sigma = [Float](repeating: 0, count: d)
            if case .gaussianFixed(let s) = model.config.likelihood {
                sigma = [Float](repeating: s, count: d)
            } else if let offset = model.layout.logVarianceOffset {
                for j in 0..<d { sigma[j] = Foundation.exp(0.5 * model.parameters[offset + j]) }
            }
            var eps = [Float](repeating: 0, count: means.count)
            eps.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: $0.count) }
            for i in means.indices { means[i] = min(max(means[i] + sigma[i % d] * eps[i], 0), 1) }
        }
    }

    /// One row per class of a conditional model, one column per code z drawn from the prior with
    /// `SeededRandom(seed: seed)`: every column decodes the same z with each class in turn, so a
    /// column shows one style across the classes. Rows in the order of the model's classes, each
    /// labelled with its class name in a margin on the left (`Sheet.labelRows`).
    public static func classes(model: VAE, shape: ImageShape, cols: Int, seed: UInt64, style: SheetStyle) throws -> Sheet {
        try checkShape(shape, model: model)
        let k = model.config.classCount
        guard k > 0 else { throw VisualError("the classes sheet needs a conditional model (trained with --conditional)") }
        let names = model.config.classNames
        let layout = try layout(rows: k, cols: cols, shape: shape, style: style, margin: try Sheet.labelMargin(names))
        var rng = SeededRandom(seed: seed)
        let zs = model.config.latentSize
        let z = model.samplePrior(count: cols, rng: &rng)
        let all = (0..<k).flatMap { _ in z }
        let labels = (0..<k * cols).map { UInt16($0 / cols) }
        var out = sheet(layout, style, channels: shape.channels, images: decode(model, all, labels: labels))
        try out.labelRows(names, background: style.background)
        return out
    }

    /// The examples `indices` of `split` with their reconstructions decode(mu) under them:
    /// ⌈N / cols⌉ pairs of rows, originals in the upper row of each pair.
    public static func reconstructions(model: VAE, dataset: ShardDataset, split: Split, indices: [Int], cols: Int,
                                       style: SheetStyle) throws -> Sheet {
        try checkShape(dataset.shape, model: model)
        guard !indices.isEmpty else { throw VisualError("--count must be at least 1") }
        guard cols >= 1 else { throw VisualError("--cols must be at least 1, got \(cols)") }
        let pairs = (indices.count + cols - 1) / cols
        let layout = try layout(rows: 2 * pairs, cols: min(cols, indices.count), shape: dataset.shape, style: style)
        let examples = try dataset.examples(at: indices, split: split)
        let x = examples.intensities
        let zs = model.config.latentSize, n = indices.count, p = dataset.shape.pixels
        var mu = [Float](repeating: 0, count: n * zs), logvar = mu
        let labels = try exampleLabels(model: model, dataset: dataset, split: split, indices: indices)
        model.encode(batch: x, count: n, mu: &mu, logvar: &logvar, labels: labels)
        let recon = decode(model, mu, labels: labels)
        var sheet = Sheet(layout: layout, channels: dataset.shape.channels, background: style.background)
        for t in 0..<n {
            let row = 2 * (t / layout.cols), col = t % layout.cols
            examples.pixels.withUnsafeBufferPointer {
                sheet.place(bytes: UnsafeBufferPointer(rebasing: $0[t * p..<(t + 1) * p]), row: row, col: col)
            }
            recon.withUnsafeBufferPointer {
                sheet.place(intensities: UnsafeBufferPointer(rebasing: $0[t * p..<(t + 1) * p]), row: row + 1, col: col)
            }
        }
        return sheet
    }

    /// The steps × steps manifold over dimensions `dims` (numbered from 0; see
    /// `LatentGrid.manifold`): x = dims.0 left to right, y = dims.1 bottom to top.
    public static func manifold(model: VAE, shape: ImageShape, steps: Int, dims: (Int, Int),
                                style: SheetStyle, label: UInt16? = nil) throws -> Sheet {
        let label = try requiredClass(label, model: model)
        try checkShape(shape, model: model)
        try checkSteps(steps)
        let zs = model.config.latentSize
        guard (0..<zs).contains(dims.0), (0..<zs).contains(dims.1), dims.0 != dims.1 else {
            throw VisualError("the manifold needs two different latent dimensions between 1 and \(zs), got \(dims.0 + 1),\(dims.1 + 1)")
        }
        let layout = try layout(rows: steps, cols: steps, shape: shape, style: style)
        return sheet(layout, style, channels: shape.channels, images: decode(model, LatentGrid.manifold(steps: steps, latent: zs, dims: (dims.0, dims.1)),
                                                   labels: label.map { [UInt16](repeating: $0, count: steps * steps) }))
    }

    /// One row per dimension of `dims` (numbered from 0): `base` (Z) with that dimension swept
    /// over [-range, range] in `steps` steps (see `LatentGrid.traversal`).
    public static func traversal(model: VAE, shape: ImageShape, base: [Float], dims: [Int], steps: Int, range: Float,
                                 style: SheetStyle, label: UInt16? = nil) throws -> Sheet {
        let label = try requiredClass(label, model: model)
        try checkShape(shape, model: model)
        try checkSteps(steps)
        let zs = model.config.latentSize
        guard base.count == zs else { throw VisualError("the base code has \(base.count) dimensions, the model \(zs)") }
        guard !dims.isEmpty, dims.allSatisfy({ (0..<zs).contains($0) }) else {
            throw VisualError("--dims must name latent dimensions between 1 and \(zs)")
        }
        guard range > 0, range.isFinite, range <= 100 else {
            throw VisualError("--range must be positive and at most 100, got \(range)")
        }
        let layout = try layout(rows: dims.count, cols: steps, shape: shape, style: style)
        return sheet(layout, style, channels: shape.channels, images: decode(model, LatentGrid.traversal(base: base, dims: dims, steps: steps, range: range),
                                                   labels: label.map { [UInt16](repeating: $0, count: dims.count * steps) }))
    }

    /// One row of `steps` images decoded along the segment from code `a` to code `b` (both Z).
    public static func interpolation(model: VAE, shape: ImageShape, from a: [Float], to b: [Float], steps: Int,
                                     style: SheetStyle, label: UInt16? = nil) throws -> Sheet {
        let label = try requiredClass(label, model: model)
        try checkShape(shape, model: model)
        try checkSteps(steps)
        let layout = try layout(rows: 1, cols: steps, shape: shape, style: style)
        return sheet(layout, style, channels: shape.channels, images: decode(model, LatentGrid.interpolation(from: a, to: b, steps: steps),
                                                   labels: label.map { [UInt16](repeating: $0, count: steps) }))
    }

    /// The codes mu of the examples `indices` of `split` (a conditional model encodes each with
    /// its own label). - Returns: indices.count codes of Z.
    public static func codes(model: VAE, dataset: ShardDataset, split: Split, indices: [Int]) throws -> [[Float]] {
        try checkShape(dataset.shape, model: model)
        let examples = try dataset.examples(at: indices, split: split)
        let zs = model.config.latentSize
        var mu = [Float](repeating: 0, count: indices.count * zs), logvar = mu
        let labels = try exampleLabels(model: model, dataset: dataset, split: split, indices: indices)
        model.encode(batch: examples.intensities, count: indices.count, mu: &mu, logvar: &logvar, labels: labels)
        return (0..<indices.count).map { Array(mu[$0 * zs..<($0 + 1) * zs]) }
    }
}
