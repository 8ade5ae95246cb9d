/// 64-bit identifiers (trace and span ids) as 16 lowercase hex digits, most significant
/// first, written in place: the trace store and the span builder must spell a span's id the
/// same way, and formatting one through `String(_:radix:)` and padding cost an allocation
/// per span.
public enum HexIdentifier {
    /// Writes the 16 digits of `value` into the first 16 bytes of `buffer`.
    public static func write(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>) {
        for index in 0..<16 {
            buffer[index] = Self.digit(UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF)
        }
    }

    /// The lowercase hex digit of a nibble (0–15).
    public static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// `value` as 16 lowercase hex digits.
    public static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            Self.write(value, into: buffer)
            return 16
        }
    }
}
