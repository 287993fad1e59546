// The shape of the images of a data set: height, width and channels, as the manifest, the
// checkpoints and the model record it. Its limits: Limits.swift.

public struct ImageShape: Codable, Equatable, Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int = 1) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    public var pixels: Int { height * width * channels }

    private enum CodingKeys: String, CodingKey { case height, width, channels }

    /// `channels` may be absent (manifests written before color): 1.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        height = try container.decode(Int.self, forKey: .height)
        width = try container.decode(Int.self, forKey: .width)
        channels = try container.decodeIfPresent(Int.self, forKey: .channels) ?? 1
    }
}
