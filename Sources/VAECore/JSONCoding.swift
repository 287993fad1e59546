// The project's one JSON style, for the JSON files it writes and reads (the shard manifest, a run's
// records, stage provenance): the same value always gives the same bytes. A file that does not
// decode is a `DataError` naming it and the key at fault.
import Foundation

/// The project's one JSON style: snake_case keys, sorted, pretty, a final newline.
public enum JSONCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw DataError(.corrupt, path, "not a valid \(type) JSON file (\(describe(error)))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "malformed JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        @unknown default: "undecodable"
        }
    }
}
