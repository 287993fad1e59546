// A trained model as the visual tools use it: read from a vae-train checkpoint, with the image
// shape its tiles are drawn at. A checkpoint stores the input size D but not necessarily the
// height and width (version 1 files may not), so the shape comes from, in order: the data's
// manifest (when --data is given), the checkpoint's image fields, or a square √D × √D when D is
// a perfect square.
import VAECore
import VAEShards
import VAEModel
import VAETrain

/// A model read from a checkpoint, ready to encode and decode.
public struct TrainedModel {
    /// The checkpoint file it was read from.
    public let path: String
    public let model: VAE
    /// The image shape recorded in the checkpoint, if any.
    public let recordedShape: ImageShape?

    /// Reads the checkpoint at `path` (every failure is one line naming the file: missing, not a
    /// checkpoint, another format version, damaged) and builds the model.
    /// - Parameters:
    ///   - batchCapacity: examples per pass through the model (the pieces of inference, on which
    ///     the bits depend).
    ///   - threads: the threads the passes are shared among (the bits do not depend on them).
    public init(checkpoint path: String, batchCapacity: Int = 1024, threads: Int = 1) throws {
        let checkpoint = try Checkpoint.read(from: path)
        self.path = path
        model = try VAE(checkpoint: checkpoint, batchCapacity: batchCapacity)
        model.useThreads(threads)
        recordedShape = checkpoint.imageShape
    }

    /// The height and width of the model's images (see the file comment for where they come from).
    /// - Parameter data: the artifact given with --data, whose images must have D pixels.
    /// - Throws: `VisualError` when the data does not fit the model, or when nothing gives the
    ///   shape (D not a square, no shape recorded, no data).
    public func imageShape(data: ShardDataset?) throws(VisualError) -> ImageShape {
        let d = model.config.inputSize
        if let data {
            guard data.shape.pixels == d else {
                throw VisualError("the checkpoint \(path) takes inputs of \(d) pixels, "
                    + "but the images of \(data.directory) are \(data.shape.width)x\(data.shape.height) = \(data.shape.pixels) pixels")
            }
            return data.shape
        }
        if let recordedShape, recordedShape.pixels == d { return recordedShape }
        var side = Int(Double(d).squareRoot())
        while side * side > d { side -= 1 }
        while (side + 1) * (side + 1) <= d { side += 1 }
        guard side * side == d else {
            throw VisualError("the checkpoint \(path) does not record its image shape and its \(d) inputs "
                + "are not a square number of pixels: pass --data with the shards it was trained on")
        }
        return ImageShape(height: side, width: side)
    }
}
