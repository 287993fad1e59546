// Latent codes that users edited, decoded: the rows of a CSV with columns mu_1 ... mu_Z (as
// vae-embed writes it, or any CSV with those columns, edited, interpolated or averaged elsewhere)
// through the decoder, to one PNG per row in a directory or to one sheet. This closes the loop
// embed → edit → decode, and lets anyone measure reconstructions outside the project: the
// decoder's mean of an embedded mu is the reconstruction the runs' PSNR is computed from.
//
// N = rows of the CSV, Z = latent size, D = pixels per image (H·W·C).
import Foundation
import VAECore
import VAEShards
import VAEModel

extension Generation {
    /// The classes of the rows of `codes` for `model`: none for an unconditional model; for a
    /// conditional one `className` for every row when given, else each row's `label` field (a
    /// class name or index, `classIndex`'s rules).
    /// - Throws: `VisualError` when a conditional model gets no class, or an unknown one.
    public static func labels(of codes: LatentCodes, model: VAE, className: String?) throws -> [UInt16]? {
        guard model.config.isConditional else { return nil }
        if let className {
            let label = try classIndex(className, model: model)
            return [UInt16](repeating: label, count: codes.count)
        }
        guard codes.hasLabelColumn else {
            throw VisualError("\(codes.path): the model is conditional: give --class NAME, or a label column")
        }
        return try codes.labels.enumerated().map { r, field in
            do {
                return try classIndex(field, model: model)
            } catch {
                throw VisualError("\(codes.path): row \(r + 1) (\(codes.names[r])): \(error)")
            }
        }
    }

    /// The decoder's means of every row of `codes`: (N, D) intensities in [0, 1].
    public static func decode(_ codes: LatentCodes, model: VAE, labels: [UInt16]?) -> [Float] {
        decode(model, codes.means, labels: labels)
    }

    /// One sheet of the decoded rows, `cols` to a row, in the CSV's order.
    public static func decodedSheet(_ codes: LatentCodes, model: VAE, shape: ImageShape, labels: [UInt16]?,
                                    cols: Int, style: SheetStyle) throws -> Sheet {
        try checkShape(shape, model: model)
        try codes.check(latent: model.config.latentSize)
        guard cols >= 1 else { throw VisualError("--cols must be at least 1, got \(cols)") }
        let n = codes.count, columns = min(cols, n)
        let layout = try layout(rows: (n + columns - 1) / columns, cols: columns, shape: shape, style: style)
        return sheet(layout, style, channels: shape.channels, images: decode(codes, model: model, labels: labels))
    }

    /// Writes one PNG per row of `codes`, `NAME.png` (`LatentCodes.names`), into the directory
    /// `out`, built under a temporary name and renamed into place when complete.
    /// - Parameter force: replace an existing non-empty directory.
    public static func writeDecoded(_ codes: LatentCodes, model: VAE, shape: ImageShape, labels: [UInt16]?,
                                    scale: Int, to out: String, force: Bool) throws {
        try checkShape(shape, model: model)
        try codes.check(latent: model.config.latentSize)
        let means = decode(codes, model: model, labels: labels)
        let style = SheetStyle(scale: scale, pad: 0)
        let layout = try layout(rows: 1, cols: 1, shape: shape, style: style)
        let directory = try AtomicDirectory(final: out, force: force)
        do {
            let d = shape.pixels  // H·W·C
            for (r, name) in codes.names.enumerated() {
                var tile = Sheet(layout: layout, channels: shape.channels)
                means.withUnsafeBufferPointer {
                    tile.place(intensities: UnsafeBufferPointer(rebasing: $0[r * d ..< (r + 1) * d]), row: 0, col: 0)
                }
                try tile.write(to: FileIO.join(directory.temporary, name + ".png"))
            }
            try directory.commit()
        } catch {
            directory.abandon()
            throw error
        }
    }
}
