// The limits of a shard artifact, checked (with the image's, VAECore's Limits.swift) before any
// number read from a shard header or a manifest is used in arithmetic or sizes an allocation.
// docs/FORMATS.md ("Limits") lists them.

extension Shard {
    /// Most records in one shard (the header stores the count in 32 bits).
    public static let maxRecords = Int(UInt32.max)
    /// Largest uncompressed payload of one shard: a shard is decoded whole in memory.
    public static let maxPayloadBytes = 1 << 32
    /// Largest shard file: the payload, deflate's worst-case growth, and the header.
    public static let maxFileBytes = maxPayloadBytes + maxPayloadBytes / 1000 + (1 << 20)
}

extension Manifest {
    /// Most shards in one split.
    public static let maxShards = 1 << 20
    /// Most label names (label 65535 marks an unlabelled example).
    public static let maxLabels = Int(UInt16.max)
}
