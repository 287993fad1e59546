// Model weights in the safetensors format, for PyTorch and NumPy users: an 8-byte little-endian
// header length N, N bytes of JSON (padded with spaces to a multiple of 8), then the raw tensors.
// The JSON maps each tensor's name to its dtype, shape and [begin, end) byte range in the data that
// follows, and `__metadata__` to a string-to-string map. This file writes and reads the subset the
// pipeline uses (every tensor F32, little-endian, row-major), and names the MLP's parameters as a
// PyTorch module built from nn.Linear layers would (docs/FORMATS.md has the module):
//
//   encoder.hidden.{i}.weight (h_i+1, h_i)   encoder.hidden.{i}.bias (h_i+1)    i = 0 ..< k
//   encoder.head.weight       (2Z, h_k)      encoder.head.bias (2Z)    rows 0..<Z mu, Z..<2Z logvar
//   decoder.hidden.{i}.weight / .bias        latent side first
//   decoder.out.weight        (D, h_1)       decoder.out.bias (D)      logits of p(x|z)
//   decoder.log_sigma2        (D)            the learned Gaussian's log-variances only
import Foundation
import VAEData

/// One tensor of a safetensors file: F32 values in row-major order.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// The contents of a safetensors file: tensors in the order of their bytes, and string metadata.
public struct SafeTensors: Equatable, Sendable {
    /// The largest header this reader accepts (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000

    public var tensors: [NamedTensor]
    public var metadata: [String: String]

    public init(tensors: [NamedTensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor named `name`, if any.
    public subscript(name: String) -> NamedTensor? { tensors.first { $0.name == name } }

    private struct Entry: Encodable {
        var dtype = "F32"
        var shape: [Int]
        var dataOffsets: [Int]

        enum CodingKeys: String, CodingKey { case dtype, shape, dataOffsets = "data_offsets" }
    }

    /// The file's bytes: the header's keys sorted, the tensors' bytes in `tensors` order.
    /// - Throws: `ModelError` when a tensor's values do not fill its shape or two share a name.
    public func encoded() throws(ModelError) -> [UInt8] {
        var names = Set<String>()
        var entries: [String: Entry] = [:]
        var offset = 0
        for t in tensors {
            guard names.insert(t.name).inserted, t.name != "__metadata__" else {
                throw ModelError(.invalidArgument, "safetensors: tensor name \"\(t.name)\" is used twice or reserved")
            }
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw ModelError(.invalidArgument, "safetensors: tensor \(t.name) has \(t.values.count) values for shape \(t.shape)")
            }
            entries[t.name] = Entry(shape: t.shape, dataOffsets: [offset, offset + 4 * t.values.count])
            offset += 4 * t.values.count
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json: [UInt8]
        do {
            // The two kinds of entries are encoded apart and joined: one object, keys sorted.
            let metadataJSON = Array(try encoder.encode(["__metadata__": metadata]))
            let tensorJSON = Array(try encoder.encode(entries))
            json = Array(metadataJSON.dropLast())
            if !entries.isEmpty { json += [UInt8(ascii: ",")] + tensorJSON.dropFirst() } else { json += [UInt8(ascii: "}")] }
        } catch {
            throw ModelError(.invalidArgument, "safetensors header cannot be encoded: \(error)")
        }
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out += $0 }
        out += json
        for t in tensors {
            for v in t.values { LittleEndian.append(v.bitPattern, to: &out) }
        }
        return out
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    /// Reads and checks a safetensors file of F32 tensors.
    public static func read(from path: String) throws -> SafeTensors {
        try decode(try FileIO.read(path), path: path)
    }

    /// Decodes the bytes of a safetensors file; `path` names it in errors. Every way the file can
    /// be wrong is a `DataError`: too short, a header length beyond the file, a header that is not
    /// a JSON object of the expected entries, a dtype other than F32, a shape that does not match
    /// its byte range, ranges that overlap, leave holes, or run past the end.
    public static func decode(_ bytes: [UInt8], path: String) throws(DataError) -> SafeTensors {
        guard bytes.count >= 8 else {
            throw DataError(.truncated, path, "truncated safetensors file: \(bytes.count) bytes, the header length alone takes 8")
        }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(maxHeaderBytes), Int(length) <= bytes.count - 8 else {
            throw DataError(.truncated, path, "safetensors header length \(length) does not fit in the file's \(bytes.count) bytes")
        }
        let dataStart = 8 + Int(length)
        // A foreign format's header, read as plain JSON objects and checked field by field.
        guard let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))) as? [String: Any] else {
            throw DataError(.corrupt, path, "safetensors header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let value = header["__metadata__"] {
            guard let fields = value as? [String: Any] else { throw DataError(.corrupt, path, "safetensors __metadata__ is not an object") }
            for (key, field) in fields {
                guard let s = field as? String else {
                    throw DataError(.corrupt, path, "safetensors __metadata__ value of \"\(key)\" is not a string")
                }
                metadata[key] = s
            }
        }
        let dataSize = bytes.count - dataStart
        var placed: [(begin: Int, end: Int, name: String, shape: [Int])] = []
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any], let offsetValues = entry["data_offsets"] as? [Any]
            else {
                throw DataError(.corrupt, path, "safetensors entry \"\(name)\" lacks a dtype, shape or data_offsets")
            }
            guard dtype == "F32" else {
                throw DataError(.unsupported, path, "tensor \(name) has dtype \(dtype); this reader handles F32 only")
            }
            func integer(_ v: Any) -> Int? {
                guard let n = v as? NSNumber, type(of: v) != Bool.self, !["c", "B"].contains(String(cString: n.objCType)) else { return nil }
                let x = n.doubleValue
                guard x >= 0, x <= Double(1 << 50), x == x.rounded() else { return nil }
                return Int(x)
            }
            let shape = shapeValues.compactMap(integer), offsets = offsetValues.compactMap(integer)
            guard shape.count == shapeValues.count, offsets.count == 2, offsetValues.count == 2 else {
                throw DataError(.corrupt, path, "tensor \(name) has a shape or data_offsets that are not non-negative integers")
            }
            guard offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw DataError(.truncated, path, "tensor \(name) spans bytes \(offsets[0])..<\(offsets[1]) of a data section of \(dataSize)")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard count <= dataSize / 4, 4 * count == offsets[1] - offsets[0] else {
                throw DataError(.sizeMismatch, path, "tensor \(name) of shape \(shape) takes \(offsets[1] - offsets[0]) bytes, not 4 per value")
            }
            placed.append((offsets[0], offsets[1], name, shape))
        }
        placed.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for p in placed {
            guard p.begin == position else {
                throw DataError(.corrupt, path, p.begin < position
                    ? "tensor \(p.name) overlaps the tensor before it"
                    : "bytes \(position)..<\(p.begin) of the data section belong to no tensor")
            }
            position = p.end
        }
        guard position == dataSize else {
            throw DataError(.sizeMismatch, path, "the data section has \(dataSize) bytes, the tensors take \(position)")
        }
        let tensors = placed.map { p in
            NamedTensor(name: p.name, shape: p.shape, values: (0..<(p.end - p.begin) / 4).map { i in
                Float(bitPattern: LittleEndian.uint32(bytes, at: dataStart + p.begin + 4 * i))
            })
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }
}

extension SafeTensors {
    /// How a pixel byte becomes a model input, as recorded in the metadata.
    public static let pixelScaling = "x = byte / 255"

    /// The parameters of `checkpoint` under the names above, in memory order, with metadata:
    /// `config` (the model configuration as JSON, as in the checkpoint header), `image_height`,
    /// `image_width`, `image_channels`, `pixel_scaling`, `class_names` (a JSON array, `[]` for
    /// unlabelled data), `tool_version`, and `format` = `pt`.
    /// Whether the model's tensors have names here: the MLP's. The convolutional architecture's
    /// layers are not exported yet.
    public static func supports(_ config: ModelConfig) -> Bool {
        let layout = ParameterLayout(config: config)
        return layout.convs.isEmpty && layout.output != nil
    }

    /// - Throws: `ModelError` for a model `supports` refuses.
    public init(checkpoint: Checkpoint, image: ImageShape, classNames: [String]?, toolVersion: String = PipelineVersion.current) throws {
        let layout = ParameterLayout(config: checkpoint.config)
        guard Self.supports(checkpoint.config), let output = layout.output else {
            throw ModelError(.invalidArgument, "safetensors export covers the MLP architecture only, not \(checkpoint.config.architecture)")
        }
        let p = checkpoint.parameters
        var tensors: [NamedTensor] = []
        func add(_ name: String, _ v: LinearView) {
            tensors.append(NamedTensor(name: name + ".weight", shape: [v.outputs, v.inputs],
                                       values: Array(p[v.weightOffset ..< v.weightOffset + v.weightCount])))
            tensors.append(NamedTensor(name: name + ".bias", shape: [v.outputs], values: Array(p[v.biasOffset ..< v.biasOffset + v.outputs])))
        }
        for (i, v) in layout.encoder.enumerated() { add("encoder.hidden.\(i)", v) }
        add("encoder.head", layout.head)
        for (i, v) in layout.decoder.enumerated() { add("decoder.hidden.\(i)", v) }
        add("decoder.out", output)
        if let o = layout.logVarianceOffset {
            tensors.append(NamedTensor(name: "decoder.log_sigma2", shape: [checkpoint.config.inputSize], values: Array(p[o ..< layout.count])))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let config = String(decoding: try encoder.encode(checkpoint.config), as: UTF8.self)
        let classes = String(decoding: try encoder.encode(classNames ?? []), as: UTF8.self)
        self.init(tensors: tensors, metadata: [
            "config": config, "image_height": String(image.height), "image_width": String(image.width),
            "image_channels": String(image.channels), "pixel_scaling": Self.pixelScaling, "class_names": classes,
            "tool_version": toolVersion, "format": "pt",
        ])
    }
}
