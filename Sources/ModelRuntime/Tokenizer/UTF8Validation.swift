/// UTF-8 well-formedness as RFC 3629 defines it (no overlong forms, no surrogates, nothing
/// above U+10FFFF), for input that arrives as bytes and for token bytes that arrive in pieces.
enum UTF8Validation {
    /// The total length of the sequence a lead byte starts, nil for a byte that cannot lead.
    static func sequenceLength(lead: UInt8) -> Int? {
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return nil
        }
    }

    /// Whether `byte` may follow `lead` at position `index` (1...3) of the sequence.
    static func isAllowed(_ byte: UInt8, at index: Int, after lead: UInt8) -> Bool {
        guard index == 1 else { return (0x80...0xBF).contains(byte) }
        switch lead {
        case 0xE0: return (0xA0...0xBF).contains(byte)  // no overlong 3-byte forms
        case 0xED: return (0x80...0x9F).contains(byte)  // no surrogates
        case 0xF0: return (0x90...0xBF).contains(byte)  // no overlong 4-byte forms
        case 0xF4: return (0x80...0x8F).contains(byte)  // nothing above U+10FFFF
        default: return (0x80...0xBF).contains(byte)
        }
    }

    /// The offset of the first byte that is not part of a well-formed sequence, nil when all are.
    static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            guard let length = sequenceLength(lead: lead), index + length <= bytes.count else {
                return index
            }
            for position in 1..<max(length, 1) where !isAllowed(bytes[index + position], at: position, after: lead) {
                return index
            }
            index += length
        }
        return nil
    }

    /// How many bytes at the end of `bytes` are the start of a well-formed sequence that more
    /// bytes could still complete; 0 when the end is complete or cannot be completed.
    static func incompleteSuffixLength(of bytes: [UInt8]) -> Int {
        // A sequence is at most 4 bytes, so an incomplete one starts in the last 3.
        for start in stride(from: bytes.count - 1, through: max(bytes.count - 3, 0), by: -1) {
            let lead = bytes[start]
            if (0x80...0xBF).contains(lead) {
                continue
            }
            guard let length = sequenceLength(lead: lead), bytes.count - start < length else { return 0 }
            for position in 1..<(bytes.count - start) where !isAllowed(bytes[start + position], at: position, after: lead) {
                return 0
            }
            return bytes.count - start
        }
        return 0
    }
}
