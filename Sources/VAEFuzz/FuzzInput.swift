// The bytes a fuzzer hands a target, read as a sequence of decisions: which field of a valid file
// to change and to what. Most decisions keep the honest value; the others pick a lie from the
// values that break readers (0, -1, 2^31, 2^32 - 1, 2^40, 2^62, Int.max, off by one...). An input
// that runs out reads as zeros, and zero always means "honest", so the empty input is the valid
// file itself. Because libFuzzer mutates these bytes, it explores lies, not only flipped bits.

/// A reader of decisions from fuzzer bytes.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0
    /// Whether any decision so far made the file differ from the valid one.
    public private(set) var lied = false

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The next byte, or 0 once the input is spent.
    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next 8 bytes, little-endian.
    public mutating func word() -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(byte()) << (8 * UInt64($1)) }
    }

    /// A value in `range` (small ranges only: one byte decides).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(byte()) % (range.upperBound - range.lowerBound + 1)
    }

    /// The values that break readers, relative to the honest one.
    static func lies(_ honest: Int) -> [Int] {
        [0, -1, 1, honest &+ 1, honest &- 1, honest &* 2, -honest, 1 << 16, 1 << 31, Int(UInt32.max), 1 << 32,
         1 << 40, 1 << 62, (1 << 62) + honest, Int.max, Int.min, Int(Int32.max), 65535, 16385]
    }

    /// `honest`, or (when the next byte asks for it) a lie: one of `lies(honest)` or an arbitrary
    /// 64-bit value.
    public mutating func lie(_ honest: Int) -> Int {
        let choice = Int(byte())
        guard choice >= 200 else { return honest }  // most bytes keep the value
        let candidates = Self.lies(honest)
        let value = choice - 200 < candidates.count ? candidates[choice - 200] : Int(truncatingIfNeeded: word())
        if value != honest { lied = true }
        return value
    }

    /// `honest` or, rarely, a lie folded into `UInt32` (for 32-bit header fields).
    public mutating func lie32(_ honest: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: lie(Int(honest)))
    }

    /// True when the next byte asks for a change to the structure (a cut, a duplicate, a flip).
    public mutating func change() -> Bool {
        let yes = byte() >= 240
        if yes { lied = true }
        return yes
    }

    /// Marks the file as changed from the valid one by a decision the caller made.
    public mutating func markLie() { lied = true }
}
