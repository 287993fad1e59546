// Model weights in the safetensors format, for PyTorch and NumPy users: an 8-byte little-endian
// header length N, N bytes of JSON (padded with spaces to a multiple of 8), then the raw tensors.
// The JSON maps each tensor's name to its dtype, shape and [begin, end) byte range in the data that
// follows, and `__metadata__` to a string-to-string map. This file writes and reads the subset the
// pipeline uses (every tensor F32, little-endian, row-major), and names the parameters as a PyTorch
// module built from nn.Linear, nn.Conv2d and nn.ConvTranspose2d layers would, in their layouts
// (docs/FORMATS.md has the modules). K = classes of a conditional model (0 otherwise): its
// one-hot y is the last K inputs of the first encoder layer and of the first decoder layer.
//
// MLP (D = input size, h_0 = D + K):
//   encoder.hidden.{i}.weight (h_i+1, h_i)   encoder.hidden.{i}.bias (h_i+1)    i = 0 ..< k
//   encoder.head.weight       (2Z, h_k)      encoder.head.bias (2Z)    rows 0..<Z mu, Z..<2Z logvar
//   decoder.hidden.{i}.weight / .bias        latent side first, the first reads Z + K
//   decoder.out.weight        (D, h_1)       decoder.out.bias (D)      logits of p(x|z)
//   decoder.log_sigma2        (D)            the learned Gaussian's log-variances only
//   prior.pseudo_inputs       (U, D)         the VampPrior's U pseudo-inputs only
//
// Conv (image C × H × W as PyTorch sees it, channels c_1 ... c_k, c_0 = C + K, H_k × W_k the last
// convolution's output, S = c_k·H_k·W_k), every image-shaped index in PyTorch's (channel, y, x)
// order where the model keeps (y, x, channel):
//   encoder.conv.{i}.weight   (c_i+1, c_i, 4, 4)   nn.Conv2d,           from (Co, k, k, Ci)
//   encoder.head.weight       (2Z, S)              columns flattened (c, y, x), from (y, x, c)
//   decoder.linear.weight     (S, Z + K)           rows (c, y, x), and its bias (S)
//   decoder.deconv.{j}.weight (c_in, c_out, 4, 4)  nn.ConvTranspose2d,  from (k, k, Co, Ci)
//   decoder.log_sigma2        (C, H, W)            from (H, W, C)
//   prior.pseudo_inputs       (U, C, H, W)         from (U, H, W, C), the VampPrior's only
import Foundation
import VAECore

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

    /// The parameters `p` (P, in the layout of `ParameterLayout(config: c)`) of a model of config
    /// `c` under the names above, in memory order, with metadata: `config` (the model
    /// configuration as JSON, as in the checkpoint header), `image_height`, `image_width`,
    /// `image_channels`, `pixel_scaling`, `class_names` (a JSON array, `[]` for unlabelled data),
    /// `tool_version`, and `format` = `pt`.
    /// - Throws: `ModelError` when the configuration cannot be encoded.
    public init(config c: ModelConfig, parameters p: [Float], image: ImageShape, classNames: [String]?,
                toolVersion: String = PipelineVersion.current) throws {
        let layout = ParameterLayout(config: c)
        var tensors: [NamedTensor] = []
        func slice(_ offset: Int, _ count: Int) -> [Float] { Array(p[offset ..< offset + count]) }
        func add(_ name: String, _ v: LinearView) {
            tensors.append(NamedTensor(name: name + ".weight", shape: [v.outputs, v.inputs], values: slice(v.weightOffset, v.weightCount)))
            tensors.append(NamedTensor(name: name + ".bias", shape: [v.outputs], values: slice(v.biasOffset, v.outputs)))
        }
        if let output = layout.output {
            for (i, v) in layout.encoder.enumerated() { add("encoder.hidden.\(i)", v) }
            add("encoder.head", layout.head)
            for (i, v) in layout.decoder.enumerated() { add("decoder.hidden.\(i)", v) }
            add("decoder.out", output)
            if let o = layout.logVarianceOffset {
                tensors.append(NamedTensor(name: "decoder.log_sigma2", shape: [c.inputSize], values: slice(o, c.inputSize)))
            }
        } else {
            tensors = Self.convTensors(layout: layout, config: c, parameters: p)
        }
        if let o = layout.pseudoInputsOffset {
            // The VampPrior's pseudo-inputs: (K, D) for the MLP, (K, C, H, W) as PyTorch's images for conv.
            let k = c.prior.pseudoInputs, values = slice(o, k * c.inputSize)
            if layout.output != nil {
                tensors.append(NamedTensor(name: "prior.pseudo_inputs", shape: [k, c.inputSize], values: values))
            } else {
                let (h, w, ch) = (c.imageHeight, c.imageWidth, c.imageChannels)
                tensors.append(NamedTensor(name: "prior.pseudo_inputs", shape: [k, ch, h, w],
                                           values: Self.permuted(values, shape: [k, h, w, ch], order: [0, 3, 1, 2])))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let config = String(decoding: try encoder.encode(c), as: UTF8.self)
        let classes = String(decoding: try encoder.encode(classNames ?? []), as: UTF8.self)
        self.init(tensors: tensors, metadata: [
            "config": config, "image_height": String(image.height), "image_width": String(image.width),
            "image_channels": String(image.channels), "pixel_scaling": Self.pixelScaling, "class_names": classes,
            "tool_version": toolVersion, "format": "pt",
        ])
    }

    /// The conv architecture's tensors in PyTorch's layouts (the table at the top of the file):
    /// each is the model's tensor with its axes permuted (`permuted`) and, for the linear layers
    /// next to the convolutions, the image axes merged into one.
    private static func convTensors(layout: ParameterLayout, config c: ModelConfig, parameters p: [Float]) -> [NamedTensor] {
        var tensors: [NamedTensor] = []
        func add(_ name: String, _ offset: Int, shape: [Int], order: [Int], as final: [Int]? = nil) {
            let values = permuted(Array(p[offset ..< offset + shape.reduce(1, *)]), shape: shape, order: order)
            tensors.append(NamedTensor(name: name, shape: final ?? order.map { shape[$0] }, values: values))
        }
        for (i, v) in layout.convEncoder.enumerated() {
            let (k, ci, co) = (v.kernel, v.inChannels, v.outChannels)
            add("encoder.conv.\(i).weight", v.weightOffset, shape: [co, k, k, ci], order: [0, 3, 1, 2])
            add("encoder.conv.\(i).bias", v.biasOffset, shape: [co], order: [0])
        }
        let top = layout.convEncoder.last!  // the image the head reads and the projection writes
        let (h, w, ch) = (top.outHeight, top.outWidth, top.outChannels)
        let head = layout.head, zk = layout.decoder[0].inputs, s = h * w * ch
        add("encoder.head.weight", head.weightOffset, shape: [head.outputs, h, w, ch], order: [0, 3, 1, 2], as: [head.outputs, s])
        add("encoder.head.bias", head.biasOffset, shape: [head.outputs], order: [0])
        let projection = layout.decoder[0]
        add("decoder.linear.weight", projection.weightOffset, shape: [h, w, ch, zk], order: [2, 0, 1, 3], as: [s, zk])
        add("decoder.linear.bias", projection.biasOffset, shape: [h, w, ch], order: [2, 0, 1], as: [s])
        for (j, v) in layout.convDecoder.enumerated() {
            let (k, ci, co) = (v.kernel, v.inChannels, v.outChannels)
            add("decoder.deconv.\(j).weight", v.weightOffset, shape: [k, k, co, ci], order: [3, 2, 0, 1])
            add("decoder.deconv.\(j).bias", v.biasOffset, shape: [co], order: [0])
        }
        if let o = layout.logVarianceOffset {
            add("decoder.log_sigma2", o, shape: [c.imageHeight, c.imageWidth, c.imageChannels], order: [2, 0, 1])
        }
        return tensors
    }

    /// `values` (row-major, of `shape`) with its axes reordered, as NumPy's `transpose(order)`:
    /// axis a of the result is axis `order[a]` of the input.
    ///
    /// ```
    /// out[i_0, ..., i_n-1] = in[j],  j[order[a]] = i_a
    /// ```
    static func permuted(_ values: [Float], shape: [Int], order: [Int]) -> [Float] {
        let n = shape.count
        var inStride = [Int](repeating: 1, count: n)
        for a in stride(from: n - 2, through: 0, by: -1) { inStride[a] = inStride[a + 1] * shape[a + 1] }
        let outShape = order.map { shape[$0] }, step = order.map { inStride[$0] }
        var out = [Float](), index = [Int](repeating: 0, count: n)
        out.reserveCapacity(values.count)
        var source = 0
        for _ in 0 ..< values.count {
            out.append(values[source])
            // The next output index, last axis fastest, and the input offset with it.
            var a = n - 1
            while a >= 0 {
                index[a] += 1
                source += step[a]
                if index[a] < outShape[a] { break }
                source -= step[a] * outShape[a]
                index[a] = 0
                a -= 1
            }
        }
        return out
    }
}
