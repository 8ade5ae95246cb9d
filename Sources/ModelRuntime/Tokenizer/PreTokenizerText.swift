/// The class of a scalar for the pre-tokenizer's patterns: `\p{L}`, `\p{N}`, `\s`, or none.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    init(_ value: UInt32) {
        // ASCII inline: Unicode's White_Space in ASCII is U+0009–U+000D and the space.
        switch value {
        case 0x41...0x5A, 0x61...0x7A:
            self = .letter
        case 0x30...0x39:
            self = .number
        case 0x09...0x0D, 0x20:
            self = .whitespace
        case 0..<0x80:
            self = .other
        default:
            self = Unicode.Scalar(value).map(ScalarClass.classify) ?? .other
        }
    }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        if properties.isWhitespace {
            return .whitespace
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}

/// A text decoded once into scalars, their classes and their UTF-8 offsets, so the scanner
/// works on scalars while the words it finds come out as byte ranges for BPE.
struct PreTokenizerText {
    var scalars: [UInt32] = []
    var classes: [ScalarClass] = []
    /// UTF-8 offset of each scalar, plus the total length at the end.
    var byteOffsets: [Int] = []

    /// Decodes `bytes`, which must be well-formed UTF-8; offsets start at `byteOffset`.
    init(validUTF8 bytes: UnsafeBufferPointer<UInt8>, byteOffset: Int) {
        self.scalars.reserveCapacity(bytes.count)
        self.classes.reserveCapacity(bytes.count)
        self.byteOffsets.reserveCapacity(bytes.count + 1)
        var index = 0
        while index < bytes.count {
            let lead = UInt32(bytes[index])
            var value = lead
            var length = 1
            if lead >= 0xF0 {
                length = 4
                value = lead & 0x07
            } else if lead >= 0xE0 {
                length = 3
                value = lead & 0x0F
            } else if lead >= 0xC0 {
                length = 2
                value = lead & 0x1F
            }
            // Well-formed input keeps this inside the buffer; the bound guards the rest.
            for position in 1..<length where index + position < bytes.count {
                value = value << 6 | UInt32(bytes[index + position] & 0x3F)
            }
            self.scalars.append(value)
            self.classes.append(ScalarClass(value))
            self.byteOffsets.append(byteOffset + index)
            index += length
        }
        self.byteOffsets.append(byteOffset + bytes.count)
    }

    var count: Int { self.scalars.count }

    func byteRange(_ scalars: Range<Int>) -> Range<Int> {
        self.byteOffsets[scalars.lowerBound]..<self.byteOffsets[scalars.upperBound]
    }
}
