// model.safetensors: the file parsed back here byte by byte (header length, JSON, raw tensors)
// and every tensor compared with the checkpoint's parameters at the layout's offsets; the
// metadata; and the ways a damaged file is refused.
import Foundation
import TestSupport
import VAEData
import VAEModel
import XCTest

final class SafeTensorsTests: XCTestCase {
    private func checkpoint(_ config: ModelConfig) throws -> Checkpoint {
        let model = try VAE(config: config, seed: 3)
        // Distinct values everywhere, so a tensor read from the wrong offset cannot match.
        for i in 0..<model.layout.count { model.parameters[i] = Float(i) * 0.001 - 1 }
        return model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                image: ImageShape(height: 1, width: config.inputSize), dataIdentity: "x")
    }

    func testEveryTensorMatchesTheCheckpoint() throws {
        let config = ModelConfig(inputSize: 12, hiddenSizes: [7, 5], latentSize: 3, likelihood: .gaussianLearned)
        let c = try checkpoint(config)
        let file = try SafeTensors(checkpoint: c, image: ImageShape(height: 2, width: 2, channels: 3), classNames: ["a", "b \"c\""])
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
                guard value == c.parameters[offset + i] else {
                    return XCTFail("\(name)[\(i)] is \(value), the checkpoint has \(c.parameters[offset + i])")
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
        let c = try checkpoint(ModelConfig(inputSize: 4, hiddenSizes: [], latentSize: 1))
        let file = try SafeTensors(checkpoint: c, image: ImageShape(height: 2, width: 2), classNames: nil)
        XCTAssertEqual(file.tensors.map(\.name), ["encoder.head.weight", "encoder.head.bias", "decoder.out.weight", "decoder.out.bias"])
        XCTAssertEqual(file.metadata["class_names"], "[]")
    }

    func testConvolutionalModelsAreNotExportedYet() throws {
        let conv = ModelConfig(inputSize: 144, hiddenSizes: [], latentSize: 2, architecture: .conv(channels: [4]),
                               imageHeight: 12, imageWidth: 12)
        XCTAssertFalse(SafeTensors.supports(conv))
        XCTAssertTrue(SafeTensors.supports(ModelConfig(inputSize: 144, hiddenSizes: [8], latentSize: 2)))
        let model = try VAE(config: conv, seed: 1)
        let c = model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                 image: ImageShape(height: 12, width: 12), dataIdentity: "x")
        XCTAssertThrowsError(try SafeTensors(checkpoint: c, image: ImageShape(height: 12, width: 12), classNames: nil))
    }

    func testDamagedFilesAreRefused() throws {
        let file = try SafeTensors(checkpoint: try checkpoint(ModelConfig(inputSize: 4, hiddenSizes: [2], latentSize: 1)),
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
