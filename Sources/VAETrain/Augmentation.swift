// Augmentation of the training batches (`--augment flip,shift:K`): each training image mirrored
// left-right with probability 1/2, and/or translated by up to K pixels in each direction with the
// edge pixels replicated into the gap. On a folder of a few hundred photos a VAE otherwise sees
// the same images every epoch and learns them by heart (the test ELBO rises while the training
// loss falls); mirrored and shifted copies are images of the same kind, so the training split
// looks larger without teaching the model anything false. Drawn from the run's own generator
// (the state a checkpoint saves), so a resumed run is exact; never applied to the test split, to
// `vae-embed` or to the sheets. docs/METHOD.md, "Augmentation".
//
// H × W × C = an image (channels last), B = images of the batch, K = the largest shift.
import VAECore
import VAEModel

/// What `--augment` asks for: a left-right mirror, a random shift, or both.
public struct Augmentation: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Mirror each image left-right with probability 1/2.
    public var flip = false
    /// K: translate each image by dx, dy uniform in -K ... K (0: no shift).
    public var shift = 0

    public init(flip: Bool = false, shift: Int = 0) {
        self.flip = flip
        self.shift = shift
    }

    /// No augmentation.
    public static let none = Augmentation()

    public var isNone: Bool { self == .none }

    /// The largest `shift:K`.
    public static let maxShift = 64

    /// Parses `flip`, `shift:K` or both, comma-separated (`none` for neither).
    /// - Throws: `TrainError.invalidOption` naming what it could not read.
    public init(parsing text: String) throws {
        self.init()
        if text == "none" { return }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            if part == "flip" {
                flip = true
            } else if part.hasPrefix("shift:"), let k = Int(part.dropFirst(6)), (1...Augmentation.maxShift).contains(k) {
                shift = k
            } else {
                throw TrainError.invalidOption("--augment takes flip, shift:K (K from 1 to \(Augmentation.maxShift)) or both, comma-separated; got \"\(part)\"")
            }
        }
    }

    /// The form `init(parsing:)` reads.
    public var description: String {
        let parts = (flip ? ["flip"] : []) + (shift > 0 ? ["shift:\(shift)"] : [])
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    /// Augments `count` images of `shape` in place, one after another, each drawing (in this
    /// order) a mirror bit when `flip`, then dx and dy when `shift` > 0, from `rng`.
    /// - Parameters:
    ///   - batch: (B, H, W, C) intensities, rewritten.
    ///   - scratch: (H, W, C) memory for one image.
    public func apply(_ batch: UnsafeMutablePointer<Float>, count: Int, shape: ImageShape,
                      scratch: UnsafeMutablePointer<Float>, rng: inout SeededRandom) {
        if isNone { return }
        let h = shape.height, w = shape.width, c = shape.channels, size = h * w * c
        for i in 0 ..< count {
            let image = batch + i * size
            let mirror = flip && rng.next() & 1 == 1
            let dx = shift > 0 ? rng.bounded(2 * shift + 1) - shift : 0
            let dy = shift > 0 ? rng.bounded(2 * shift + 1) - shift : 0
            if !mirror && dx == 0 && dy == 0 { continue }
            scratch.update(from: image, count: size)
            // Output pixel (y, x) reads source pixel (y - dy, x - dx) (of the mirrored image),
            // clamped to the edges.
            for y in 0 ..< h {
                let sy = min(max(y - dy, 0), h - 1)
                for x in 0 ..< w {
                    var sx = min(max(x - dx, 0), w - 1)
                    if mirror { sx = w - 1 - sx }
                    (image + (y * w + x) * c).update(from: scratch + (sy * w + sx) * c, count: c)
                }
            }
        }
    }
}
