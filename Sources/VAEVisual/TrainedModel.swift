// A trained model as the visual tools use it: read from a vae-train checkpoint, with the image
// shape its tiles are drawn at. A checkpoint stores the input size D but not necessarily the
// height and width, so the shape comes from, in order: the data's manifest (when --data is
// given), the checkpoint's metadata keys "image_height", "image_width" and "image_channels"
// (absent: 1), or a square √D × √D gray image when D is a perfect square.
import VAEData
import VAEModel

/// A model read from a checkpoint, ready to encode and decode.
public struct TrainedModel {
    /// The checkpoint file it was read from.
    public let path: String
    public let model: VAE
    /// The image shape recorded in the checkpoint's metadata, if any.
    public let recordedShape: ImageShape?

    /// Reads the checkpoint at `path` (every failure is one line naming the file: missing, not a
    /// checkpoint, another format version, damaged) and builds the model.
    /// - Parameter batchCapacity: examples per pass through the model.
    public init(checkpoint path: String, batchCapacity: Int = 1024) throws {
        let checkpoint = try Checkpoint.read(from: path)
        self.path = path
        model = try VAE(checkpoint: checkpoint, batchCapacity: batchCapacity)
        recordedShape = try Self.shape(in: checkpoint.metadata, path: path)
    }

    /// The shape recorded under "image_height" and "image_width" in the metadata object, if both
    /// are there. - Throws: `DataError` when they are there but not positive integers.
    static func shape(in metadata: JSONValue, path: String) throws -> ImageShape? {
        guard case .object(let fields) = metadata,
              let heightValue = fields["image_height"], let widthValue = fields["image_width"]
        else { return nil }
        guard case .number(let h) = heightValue, case .number(let w) = widthValue,
              h >= 1, w >= 1, h <= 1e6, w <= 1e6, h == h.rounded(), w == w.rounded()
        else {
            throw DataError(.corrupt, path, "checkpoint metadata image_height/image_width are not positive integers")
        }
        var channels = 1
        if let value = fields["image_channels"] {
            guard case .number(let c) = value, c == 1 || c == 3 else {
                throw DataError(.corrupt, path, "checkpoint metadata image_channels is not 1 or 3")
            }
            channels = Int(c)
        }
        return ImageShape(height: Int(h), width: Int(w), channels: channels)
    }

    /// The height and width of the model's images (see the file comment for where they come from).
    /// - Parameter data: the artifact given with --data, whose images must have D pixels.
    /// - Throws: `VisualError` when the data does not fit the model, or when nothing gives the
    ///   shape (D not a square, no metadata, no data).
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
