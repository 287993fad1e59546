// model.safetensors: the file parsed back here byte by byte (header length, JSON, raw tensors)
// and every tensor compared with the model's parameters at the layout's offsets; the
// metadata; and the ways a damaged file is refused.
import Foundation
import TestSupport
import VAECore
import VAEModel
import XCTest

final class SafeTensorsTests: XCTestCase {
    /// Distinct values everywhere, so a tensor read from the wrong offset cannot match.
    private func parameters(_ config: ModelConfig) -> [Float] {
        (0..<ParameterLayout(config: config).count).map { Float($0) * 0.001 - 1 }
    }

    func testEveryTensorMatchesTheParameters() throws {
        let config = ModelConfig(inputSize: 12, hiddenSizes: [7, 5], latentSize: 3, likelihood: .gaussianLearned)
        let p = parameters(config)
        let file = try SafeTensors(config: config, parameters: p, image: ImageShape(height: 2, width: 2, channels: 3), classNames: ["a", "b \"c\""])
        let dir = try makeScratchDirectory(self)
        let path = FileIO.join(dir, "model.safetensors")
        try file.write(to: path)
        let bytes = try FileIO.read(path)

        // The format by hand: 8-byte LE length, a JSON object padded to 8 bytes, the data after it.
        let n = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual(n % 8, 0)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<8 + n])) as? [String: Any])
        let dataStart = 8 + n
        XCTAssertEqual(bytes.count - dataStart, 4 * ParameterLayout(config: config).count)

        let layout = ParameterLayout(config: config)
        func expect(_ name: String, _ shape: [Int], _ offset: Int) throws {
            let entry = try XCTUnwrap(header[name] as? [String: Any], name)
            XCTAssertEqual(entry["dtype"] as? String, "F32", name)
            XCTAssertEqual(entry["shape"] as? [Int], shape, name)
            let range = try XCTUnwrap(entry["data_offsets"] as? [Int], name)
            let count = shape.reduce(1, *)
            XCTAssertEqual(range[1] - range[0], 4 * count, name)
            for i in 0..<count {
                let o = dataStart + range[0] + 4 * i
                let value = Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
                guard value == p[offset + i] else {
                    return XCTFail("\(name)[\(i)] is \(value), the model has \(p[offset + i])")
                }
            }
        }
        // PyTorch's nn.Linear orientation: weight (out, in), row-major.
        try expect("encoder.hidden.0.weight", [7, 12], layout.encoder[0].weightOffset)
        try expect("encoder.hidden.0.bias", [7], layout.encoder[0].biasOffset)
        try expect("encoder.hidden.1.weight", [5, 7], layout.encoder[1].weightOffset)
        try expect("encoder.hidden.1.bias", [5], layout.encoder[1].biasOffset)
        try expect("encoder.head.weight", [6, 5], layout.head.weightOffset)
        try expect("encoder.head.bias", [6], layout.head.biasOffset)
        try expect("decoder.hidden.0.weight", [5, 3], layout.decoder[0].weightOffset)
        try expect("decoder.hidden.0.bias", [5], layout.decoder[0].biasOffset)
        try expect("decoder.hidden.1.weight", [7, 5], layout.decoder[1].weightOffset)
        try expect("decoder.hidden.1.bias", [7], layout.decoder[1].biasOffset)
        let output = try XCTUnwrap(layout.output)
        try expect("decoder.out.weight", [12, 7], output.weightOffset)
        try expect("decoder.out.bias", [12], output.biasOffset)
        try expect("decoder.log_sigma2", [12], try XCTUnwrap(layout.logVarianceOffset))
        XCTAssertEqual(header.count, 14)  // 13 tensors and the metadata

        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertEqual(metadata["image_height"], "2")
        XCTAssertEqual(metadata["image_width"], "2")
        XCTAssertEqual(metadata["image_channels"], "3")
        XCTAssertEqual(metadata["pixel_scaling"], "x = byte / 255")
        XCTAssertEqual(metadata["tool_version"], PipelineVersion.current)
        let classes = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(metadata["class_names"]).utf8))
        XCTAssertEqual(classes, ["a", "b \"c\""])
        let stored = try JSONDecoder().decode(ModelConfig.self, from: Data(try XCTUnwrap(metadata["config"]).utf8))
        XCTAssertEqual(stored, config)

        // The library's reader gives back what was written.
        XCTAssertEqual(try SafeTensors.read(from: path), file)
        XCTAssertEqual(try file.encoded(), bytes, "the same model gives the same bytes")
    }

    func testBernoulliModelHasNoLogVariance() throws {
        let config = ModelConfig(inputSize: 4, hiddenSizes: [], latentSize: 1)
        let file = try SafeTensors(config: config, parameters: parameters(config), image: ImageShape(height: 2, width: 2), classNames: nil)
        XCTAssertEqual(file.tensors.map(\.name), ["encoder.head.weight", "encoder.head.bias", "decoder.out.weight", "decoder.out.bias"])
        XCTAssertEqual(file.metadata["class_names"], "[]")
    }

    /// A conditional RGB conv model (K = 2 classes, learned Gaussian), written and read back.
    private func convModel() throws -> (model: VAE, file: SafeTensors, config: ModelConfig) {
        var config = ModelConfig.conv(height: 8, width: 12, channels: 3, convChannels: [4, 6], latentSize: 3)
        config.likelihood = .gaussianLearned
        config.classNames = ["a", "b"]
        let model = try VAE(config: config, seed: 5)
        let written = try SafeTensors(config: config, parameters: Array(model.parameters), image: ImageShape(height: 8, width: 12, channels: 3), classNames: ["a", "b"])
        let path = FileIO.join(try makeScratchDirectory(self), "model.safetensors")
        try written.write(to: path)
        let file = try SafeTensors.read(from: path)
        XCTAssertEqual(file, written)
        return (model, file, config)
    }

    func testConvTensorsUndoToTheModelsParameters() throws {
        let (model, file, _) = try convModel()
        let layout = model.layout, p = Array(model.parameters)
        XCTAssertEqual(file.tensors.map(\.name), [
            "encoder.conv.0.weight", "encoder.conv.0.bias", "encoder.conv.1.weight", "encoder.conv.1.bias",
            "encoder.head.weight", "encoder.head.bias", "decoder.linear.weight", "decoder.linear.bias",
            "decoder.deconv.0.weight", "decoder.deconv.0.bias", "decoder.deconv.1.weight", "decoder.deconv.1.bias",
            "decoder.log_sigma2"])
        XCTAssertEqual(file.tensors.map(\.values.count).reduce(0, +), layout.count)
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            let t = try XCTUnwrap(file[name], name)
            XCTAssertEqual(t.shape, shape, name)
            return t.values
        }
        // Each PyTorch index maps back to the model's, written out axis by axis.
        var mismatches: [String: Int] = [:]
        func expect(_ name: String, _ file: Float, _ model: Float) {
            if file != model { mismatches[name, default: 0] += 1 }
        }
        for (i, v) in layout.convEncoder.enumerated() {
            let (ci, co) = (v.inChannels, v.outChannels)
            let w = try tensor("encoder.conv.\(i).weight", [co, ci, 4, 4])  // torch (Co, Ci, k, k), model (Co, k, k, Ci)
            for o in 0..<co { for c in 0..<ci { for ky in 0..<4 { for kx in 0..<4 {
                expect("conv\(i)", w[((o * ci + c) * 4 + ky) * 4 + kx], p[v.weightOffset + ((o * 4 + ky) * 4 + kx) * ci + c])
            } } } }
            for (o, b) in try tensor("encoder.conv.\(i).bias", [co]).enumerated() { expect("conv\(i) bias", b, p[v.biasOffset + o]) }
        }
        XCTAssertEqual(layout.convEncoder[0].inChannels, 5, "3 colors and 2 class planes")
        let (h, w, ch) = (2, 3, 6)  // the last convolution's output
        let head = try tensor("encoder.head.weight", [6, ch * h * w])  // columns (c, y, x); the model's (y, x, c)
        for r in 0..<6 { for c in 0..<ch { for y in 0..<h { for x in 0..<w {
            expect("head", head[r * ch * h * w + (c * h + y) * w + x], p[layout.head.weightOffset + r * h * w * ch + (y * w + x) * ch + c])
        } } } }
        for (r, b) in try tensor("encoder.head.bias", [6]).enumerated() { expect("head bias", b, p[layout.head.biasOffset + r]) }
        let projection = layout.decoder[0]
        let lw = try tensor("decoder.linear.weight", [ch * h * w, 5])  // rows (c, y, x), 3 latents and 2 classes
        let lb = try tensor("decoder.linear.bias", [ch * h * w])
        for c in 0..<ch { for y in 0..<h { for x in 0..<w {
            let row = (c * h + y) * w + x, modelRow = (y * w + x) * ch + c
            for j in 0..<5 { expect("linear", lw[row * 5 + j], p[projection.weightOffset + modelRow * 5 + j]) }
            expect("linear bias", lb[row], p[projection.biasOffset + modelRow])
        } } }
        for (j, v) in layout.convDecoder.enumerated() {
            let (ci, co) = (v.inChannels, v.outChannels)
            let t = try tensor("decoder.deconv.\(j).weight", [ci, co, 4, 4])  // torch (Ci, Co, k, k), model (k, k, Co, Ci)
            for i in 0..<ci { for o in 0..<co { for ky in 0..<4 { for kx in 0..<4 {
                expect("deconv\(j)", t[((i * co + o) * 4 + ky) * 4 + kx], p[v.weightOffset + ((ky * 4 + kx) * co + o) * ci + i])
            } } } }
            for (o, b) in try tensor("decoder.deconv.\(j).bias", [co]).enumerated() { expect("deconv\(j) bias", b, p[v.biasOffset + o]) }
        }
        let lv = try tensor("decoder.log_sigma2", [3, 8, 12])
        let lvOffset = try XCTUnwrap(layout.logVarianceOffset)
        for c in 0..<3 { for y in 0..<8 { for x in 0..<12 { expect("log_sigma2", lv[(c * 8 + y) * 12 + x], p[lvOffset + (y * 12 + x) * 3 + c]) } } }
        XCTAssertEqual(mismatches, [:], "values that are not the model's, by tensor")
    }

    /// The file's tensors through PyTorch's definitions of the layers (NCHW, written here from
    /// scratch): mu of an image and the decoder's means of a code match the model's.
    func testConvTensorsComputeWhatTheModelComputes() throws {
        let (model, file, config) = try convModel()
        let (hh, ww, cc, k, zs) = (8, 12, 3, 2, 3)
        func t(_ name: String) -> [Float] { file[name]!.values }
        var rng = SeededRandom(seed: 9)
        let x = (0..<hh * ww * cc).map { _ in rng.uniform() }  // one image, (y, x, c)
        let label: UInt16 = 1
        // nn.Conv2d(k 4, s 2, p 1) + ReLU on (Ci, H, W); weight (Co, Ci, 4, 4).
        func conv(_ input: [Float], _ ci: Int, _ h: Int, _ w: Int, _ weight: [Float], _ bias: [Float]) -> [Float] {
            let co = bias.count, (ho, wo) = (h / 2, w / 2)
            var out = [Float](repeating: 0, count: co * ho * wo)
            for o in 0..<co { for y in 0..<ho { for xo in 0..<wo {
                var sum = bias[o]
                for i in 0..<ci { for ky in 0..<4 { for kx in 0..<4 {
                    let (yi, xi) = (2 * y - 1 + ky, 2 * xo - 1 + kx)
                    if yi >= 0, yi < h, xi >= 0, xi < w { sum += weight[((o * ci + i) * 4 + ky) * 4 + kx] * input[(i * h + yi) * w + xi] }
                } } }
                out[(o * ho + y) * wo + xo] = max(sum, 0)
            } } }
            return out
        }
        // nn.ConvTranspose2d(k 4, s 2, p 1) on (Ci, H, W); weight (Ci, Co, 4, 4).
        func deconv(_ input: [Float], _ ci: Int, _ h: Int, _ w: Int, _ weight: [Float], _ bias: [Float], relu: Bool) -> [Float] {
            let co = bias.count, (ho, wo) = (2 * h, 2 * w)
            var out = (0..<co * ho * wo).map { bias[$0 / (ho * wo)] }
            for i in 0..<ci { for o in 0..<co { for y in 0..<h { for xi in 0..<w { for ky in 0..<4 { for kx in 0..<4 {
                let (yo, xo) = (2 * y - 1 + ky, 2 * xi - 1 + kx)
                if yo >= 0, yo < ho, xo >= 0, xo < wo { out[(o * ho + yo) * wo + xo] += weight[((i * co + o) * 4 + ky) * 4 + kx] * input[(i * h + y) * w + xi] }
            } } } } } }
            return relu ? out.map { max($0, 0) } : out
        }
        func linear(_ input: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
            (0..<bias.count).map { r in zip(weight[r * input.count ..< (r + 1) * input.count], input).reduce(bias[r]) { $0 + $1.0 * $1.1 } }
        }
        // The input as PyTorch takes it: (C + K, H, W), colors then one constant plane per class.
        var nchw = [Float](repeating: 0, count: (cc + k) * hh * ww)
        for y in 0..<hh { for xx in 0..<ww {
            for c in 0..<cc { nchw[(c * hh + y) * ww + xx] = x[(y * ww + xx) * cc + c] }
            nchw[((cc + Int(label)) * hh + y) * ww + xx] = 1
        } }
        let h1 = conv(nchw, cc + k, hh, ww, t("encoder.conv.0.weight"), t("encoder.conv.0.bias"))
        let h2 = conv(h1, 4, 4, 6, t("encoder.conv.1.weight"), t("encoder.conv.1.bias"))
        let muTorch = Array(linear(h2, t("encoder.head.weight"), t("encoder.head.bias")).prefix(zs))
        var mu = [Float](repeating: 0, count: zs), logvar = mu
        model.encode(batch: x, count: 1, mu: &mu, logvar: &logvar, labels: [label])
        let muGap = zip(mu, muTorch).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(muGap, 1e-5, "mu \(mu) against \(muTorch)")
        XCTAssertGreaterThan(mu.map(abs).max()!, 1e-3, "mu is not vacuous")

        let z: [Float] = [0.5, -1, 2]
        let d0 = linear(z + [0, 1], t("decoder.linear.weight"), t("decoder.linear.bias")).map { max($0, 0) }  // [z | y]
        let d1 = deconv(d0, 6, 2, 3, t("decoder.deconv.0.weight"), t("decoder.deconv.0.bias"), relu: true)
        let logits = deconv(d1, 4, 4, 6, t("decoder.deconv.1.weight"), t("decoder.deconv.1.bias"), relu: false)  // (C, H, W)
        var means = [Float](repeating: 0, count: config.inputSize)
        model.decode(z: z, count: 1, means: &means, labels: [label])
        var meanGap: Float = 0
        for c in 0..<cc { for y in 0..<hh { for xx in 0..<ww {
            let torch = 1 / (1 + exp(-logits[(c * hh + y) * ww + xx]))
            meanGap = max(meanGap, abs(torch - means[(y * ww + xx) * cc + c]))
        } } }
        XCTAssertLessThan(meanGap, 1e-5)
    }

    func testConditionalMLPHasTheClassColumnsLast() throws {
        var config = ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 2)
        config.classNames = ["x", "y", "z"]
        let model = try VAE(config: config, seed: 2)
        let file = try SafeTensors(config: config, parameters: Array(model.parameters), image: ImageShape(height: 2, width: 3), classNames: config.classNames)
        XCTAssertEqual(file["encoder.hidden.0.weight"]?.shape, [5, 6 + 3])
        XCTAssertEqual(file["decoder.hidden.0.weight"]?.shape, [5, 2 + 3])
        // [x | one-hot y] through the file's layers gives the model's mu for class 2.
        let x: [Float] = [0.1, 0.9, 0.4, 0, 1, 0.3]
        let w0 = file["encoder.hidden.0.weight"]!.values, b0 = file["encoder.hidden.0.bias"]!.values
        let input = x + [0, 0, 1]
        let hidden = (0..<5).map { r in max(0, (0..<9).reduce(b0[r]) { $0 + w0[r * 9 + $1] * input[$1] }) }
        let wh = file["encoder.head.weight"]!.values, bh = file["encoder.head.bias"]!.values
        let muFile = (0..<2).map { r in (0..<5).reduce(bh[r]) { $0 + wh[r * 5 + $1] * hidden[$1] } }
        var mu: [Float] = [0, 0], logvar: [Float] = [0, 0]
        model.encode(batch: x, count: 1, mu: &mu, logvar: &logvar, labels: [2])
        XCTAssertLessThan(zip(mu, muFile).map { abs($0 - $1) }.max()!, 1e-6)
    }

    func testDamagedFilesAreRefused() throws {
        let config = ModelConfig(inputSize: 4, hiddenSizes: [2], latentSize: 1)
        let file = try SafeTensors(config: config, parameters: parameters(config),
                                   image: ImageShape(height: 2, width: 2), classNames: nil)
        let good = try file.encoded()
        let p = "m.safetensors"
        func refuse(_ bytes: [UInt8], _ kind: DataError.Kind, _ needle: String) {
            assertDataError(kind, path: p, contains: [needle]) { _ = try SafeTensors.decode(bytes, path: p) }
        }
        refuse(Array(good.prefix(5)), .truncated, "the header length alone takes 8")
        refuse(Array(good.dropLast(4)), .truncated, "of a data section of")
        refuse(good + [0, 0, 0, 0], .sizeMismatch, "the tensors take")
        var huge = good
        huge[7] = 0x7F
        refuse(huge, .truncated, "does not fit")
        var notJSON = good
        notJSON[8] = UInt8(ascii: "[")
        refuse(notJSON, .corrupt, "not a JSON object")

        func withHeader(_ json: String, data: Int) -> [UInt8] {
            var bytes = Array(json.utf8)
            var n = UInt64(bytes.count).littleEndian
            bytes = withUnsafeBytes(of: &n) { Array($0) } + bytes
            return bytes + [UInt8](repeating: 0, count: data)
        }
        refuse(withHeader(#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: 4), .unsupported, "F32 only")
        refuse(withHeader(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), .sizeMismatch, "not 4 per value")
        refuse(withHeader(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8),
               .corrupt, "overlaps")
        refuse(withHeader(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, data: 12),
               .corrupt, "bytes 4..<8 of the data section belong to no tensor")
        refuse(withHeader(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4), .truncated, "data section of 4")
        refuse(withHeader(#"{"__metadata__":{"x":1}}"#, data: 0), .corrupt, "is not a string")
        XCTAssertEqual(try SafeTensors.decode(withHeader(#"{"__metadata__":{"x":"y"}}"#, data: 0), path: p).metadata, ["x": "y"])
    }
}
