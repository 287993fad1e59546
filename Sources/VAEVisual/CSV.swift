// RFC 4180 CSV written straight into a byte buffer: fields separated by commas, records ended by
// CRLF, a field quoted only when it holds a comma, a quote, CR or LF (quotes doubled inside).
// Numbers never go through the locale: integers are written digit by digit, Floats in the
// shortest decimal form that reads back to the same Float (Swift's `Float.description`, whose
// text is at most 14 bytes and so lives inline in a small String, with no heap allocation).
// A value that is not finite is refused rather than written as `inf` or `nan`: a latent code of a
// working model is always finite, so one that is not means a broken checkpoint or input, and the
// caller reports it instead of leaving it for a spreadsheet to find.

/// CSV records under construction, in bytes; `float` refuses non-finite values.
public struct CSVBuffer {
    /// The bytes of the records written so far.
    public private(set) var bytes: [UInt8] = []
    private var fieldsInRecord = 0

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Removes every byte (keeping the capacity), e.g. after the buffer was flushed.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        fieldsInRecord = 0
    }

    @inline(__always)
    private mutating func separate() {
        if fieldsInRecord > 0 { bytes.append(UInt8(ascii: ",")) }
        fieldsInRecord += 1
    }

    /// Appends a text field, quoted when RFC 4180 requires it.
    public mutating func text(_ value: String) {
        separate()
        CSV.appendField(value, to: &bytes)
    }

    /// Appends a field whose bytes are already formatted (and quoted where needed).
    public mutating func raw(_ field: [UInt8]) {
        separate()
        bytes.append(contentsOf: field)
    }

    /// Appends an integer field in decimal.
    public mutating func integer(_ value: Int) {
        separate()
        CSV.appendInteger(value, to: &bytes)
    }

    /// Appends a Float field in its shortest round-tripping form; returns false (appending
    /// nothing) when the value is infinite or NaN.
    @discardableResult
    public mutating func float(_ value: Float) -> Bool {
        guard value.isFinite else { return false }
        separate()
        CSV.appendFloat(value, to: &bytes)
        return true
    }

    /// Ends the record (CRLF).
    public mutating func endRecord() {
        bytes.append(UInt8(ascii: "\r"))
        bytes.append(UInt8(ascii: "\n"))
        fieldsInRecord = 0
    }
}

/// The formatting rules of the pipeline's CSV files.
public enum CSV {
    /// Appends `value` as an RFC 4180 field: as is, or between double quotes with every quote
    /// doubled when it contains a comma, a double quote, CR or LF.
    public static func appendField(_ value: String, to out: inout [UInt8]) {
        let needsQuotes = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else {
            out.append(contentsOf: value.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the decimal digits of `value` (with a leading `-` when negative).
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for the 20 digits of UInt64.max
        let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
            var n = 0
            repeat {
                buffer[23 - n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            } while magnitude > 0
            return n
        }
        withUnsafeBytes(of: &digits) { out.append(contentsOf: $0[(24 - count)...]) }
    }

    /// Appends a finite Float in the shortest decimal form that reads back (`Float(text)`) as the
    /// same value: `0.1`, `-2.5`, `1e-05`, `3.4028235e+38`, `-0.0`. The point is always `.`.
    ///
    /// Non-finite values must be filtered by the caller (see `CSVBuffer.float`); here they would
    /// print as `inf` or `nan`.
    @inline(__always)
    public static func appendFloat(_ value: Float, to out: inout [UInt8]) {
        var text = value.description
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// The fields of one CSV record (RFC 4180, without its line ending), for tests and readers.
    public static func parseRecord(_ line: Substring) -> [String] {
        var line = line
        return line.withUTF8 { parseRecord(bytes: $0) }
    }

    /// The fields of one CSV record given as UTF-8 bytes (without its line ending): split at the
    /// commas outside double quotes, the quotes removed and each doubled quote read as one.
    public static func parseRecord(bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == quote {
                quoted = true
            } else if c == comma {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else {
                field.append(c)
            }
            i += 1
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}
