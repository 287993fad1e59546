// JSON files that lie: a manifest or a checkpoint header decoded into a tree that keeps integers
// exact (64-bit seeds included, which a Double would round), each number, array and key then
// offered to the fuzz input to lie about, and the tree encoded again. Walking the tree, not a list of
// fields, means a field added to a format later is fuzzed without a change here.
import Foundation

/// A JSON value with exact integers.
indirect enum LyingJSON: Codable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([LyingJSON])
    case object([String: LyingJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(UInt64.self) { self = .uint(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([LyingJSON].self) { self = .array(v) }
        else { self = .object(try c.decode([String: LyingJSON].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .uint(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> LyingJSON {
        try JSONDecoder().decode(LyingJSON.self, from: Data(bytes))
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// The tree with lies where `input` asks for them: a number replaced by a breaking value, an
    /// array element repeated or dropped, a key dropped, a string emptied or made a path.
    func lying(_ input: inout FuzzInput) -> LyingJSON {
        switch self {
        case .int(let v): return .int(input.lie(v))
        case .uint(let v): return .uint(UInt64(bitPattern: Int64(input.lie(Int(bitPattern: UInt(v))))))
        case .double(let v):
            guard input.change() else { return self }
            return .double([0, -1, 1e300, -v, v * 1e9][input.int(in: 0...4)])
        case .string(let v):
            guard input.change() else { return self }
            return .string(["", "..", "../x", v + v, "a/b"][input.int(in: 0...4)])
        case .array(var items):
            items = items.map { $0.lying(&input) }
            if !items.isEmpty && input.change() { items.append(items[input.int(in: 0...(items.count - 1))]) }
            if !items.isEmpty && input.change() { items.removeLast() }
            return .array(items)
        case .object(let fields):
            var out: [String: LyingJSON] = [:]
            for key in fields.keys.sorted() where !input.change() {
                out[key] = fields[key]!.lying(&input)
            }
            if out.count != fields.count { input.markLie() }
            return .object(out)
        case .null, .bool: return self
        }
    }
}
