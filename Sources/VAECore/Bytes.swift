// The small byte and text helpers every format needs, written once: little-endian integers,
// lowercase hexadecimal, and zero-padded numbers in file names.

/// Little-endian reads and appends of fixed-width unsigned integers.
public enum LittleEndian {
    /// The UInt32 stored at `bytes[offset ..< offset + 4]`, least significant byte first.
    @inline(__always)
    public static func uint32<C: RandomAccessCollection>(_ bytes: C, at offset: C.Index) -> UInt32 where C.Element == UInt8 {
        var value: UInt32 = 0
        var i = bytes.index(offset, offsetBy: 3)
        for _ in 0 ..< 4 {
            value = value << 8 | UInt32(bytes[i])
            if i != offset { i = bytes.index(before: i) }
        }
        return value
    }

    /// The UInt16 stored at `bytes[offset ..< offset + 2]`, least significant byte first.
    @inline(__always)
    public static func uint16<C: RandomAccessCollection>(_ bytes: C, at offset: C.Index) -> UInt16 where C.Element == UInt8 {
        UInt16(bytes[offset]) | UInt16(bytes[bytes.index(after: offset)]) << 8
    }

    /// Appends `value`'s four bytes, least significant first.
    @inline(__always)
    public static func append(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends the bit patterns of `values`, each as `append(_:to:)` would, in one copy on a
    /// little-endian machine.
    public static func append(_ values: UnsafeBufferPointer<Float>, to out: inout [UInt8]) {
        #if _endian(little)
        out += UnsafeRawBufferPointer(values)
        #else
        for f in values { append(f.bitPattern, to: &out) }
        #endif
    }

    /// Sets `values` from the little-endian bit patterns at `bytes[offset ..< offset + 4·count]`,
    /// in one copy on a little-endian machine. The caller has checked the range.
    public static func read(_ bytes: [UInt8], at offset: Int, into values: UnsafeMutableBufferPointer<Float>) {
        #if _endian(little)
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawBufferPointer(values).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + 4 * values.count]))
        }
        #else
        for i in values.indices { values[i] = Float(bitPattern: uint32(bytes, at: offset + 4 * i)) }
        #endif
    }
}

extension Array where Element == UInt8 {
    /// Appends `value`'s bytes, least significant first.
    package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// The `T` stored at `self[offset ..< offset + size of T]`, least significant byte first.
    package func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value = T.zero
        for i in 0..<MemoryLayout<T>.size { value |= T(self[offset + i]) << (8 * i) }
        return value
    }
}

/// Lowercase hexadecimal, zero-padded to the width of the type.
public enum Hex {
    /// Two digits: `0x0a` -> "0a".
    public static func byte(_ value: UInt8) -> String { padded(UInt64(value), digits: 2) }

    /// Eight digits with a "0x" prefix, as checksums are shown: "0x0000abcd".
    public static func word32(_ value: UInt32) -> String { "0x" + padded(UInt64(value), digits: 8) }

    /// Sixteen digits, no prefix.
    public static func word64(_ value: UInt64) -> String { padded(value, digits: 16) }

    /// Bytes as pairs of digits, e.g. a digest; `separator` between the pairs.
    public static func bytes<S: Sequence>(_ bytes: S, separator: String = "") -> String where S.Element == UInt8 {
        bytes.map(byte).joined(separator: separator)
    }

    private static func padded(_ value: UInt64, digits: Int) -> String {
        zeroPadded(String(value, radix: 16), width: digits)
    }
}

/// `value` in decimal with leading zeros to at least `width` digits: zeroPadded(42, width: 5) is
/// "00042" (file names that sort in numeric order).
public func zeroPadded(_ value: Int, width: Int) -> String {
    zeroPadded(String(value), width: width)
}

private func zeroPadded(_ digits: String, width: Int) -> String {
    String(repeating: "0", count: max(0, width - digits.count)) + digits
}
