/// GPT-2's reversible mapping between the 256 byte values and 256 printable Unicode scalars.
///
/// Byte-level BPE vocabularies spell every token in this alphabet, so that a token's text
/// never contains a control character or a space: printable Latin-1 bytes map to themselves,
/// the other 68 bytes (controls, space, 0x7F–0xA0, 0xAD) map to U+0100 upwards in byte order.
/// Space (0x20) becomes "Ġ" (U+0120) and newline "Ċ" (U+010A).
enum ByteLevelAlphabet {
    /// The scalar that spells each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if ByteLevelAlphabet.isPrintable(byte) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 256 + n is below 0x180, always a valid scalar.
                table[byte] = Unicode.Scalar(next) ?? "\0"
                next += 1
            }
        }
        return table
    }()

    /// The byte a scalar spells, or nil when the scalar is outside the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            return ByteLevelAlphabet.isPrintable(Int(value)) ? UInt8(value) : nil
        }
        guard value < 256 + 68 else { return nil }
        return ByteLevelAlphabet.byteForShiftedScalar[Int(value - 256)]
    }

    /// Bytes that spell themselves: '!'...'~', '¡'...'¬', '®'...'ÿ'.
    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// Inverse of the shifted part of `scalarForByte`: U+0100 + n → the n-th non-printable byte.
    private static let byteForShiftedScalar: [UInt8] = {
        (0..<256).filter { !ByteLevelAlphabet.isPrintable($0) }.map { UInt8($0) }
    }()
}
