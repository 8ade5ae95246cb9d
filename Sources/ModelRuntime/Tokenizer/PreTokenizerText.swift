/// The class of a scalar for the pre-tokenizer's patterns: `\p{L}`, `\p{N}`, `\s`, or none.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    init(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            self = ScalarClass.ascii[Int(scalar.value)]
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .whitespace
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    /// ASCII by table: Unicode's White_Space in ASCII is U+0009–U+000D and the space.
    private static let ascii: [ScalarClass] = (0..<128).map { value in
        switch value {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x30...0x39: return .number
        case 0x09...0x0D, 0x20: return .whitespace
        default: return .other
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

    init<S: Sequence<Unicode.Scalar>>(_ text: S, byteOffset: Int) {
        var offset = byteOffset
        for scalar in text {
            self.scalars.append(scalar.value)
            self.classes.append(ScalarClass(scalar))
            self.byteOffsets.append(offset)
            offset += UTF8.width(scalar)
        }
        self.byteOffsets.append(offset)
    }

    var count: Int { self.scalars.count }

    func byteRange(_ scalars: Range<Int>) -> Range<Int> {
        self.byteOffsets[scalars.lowerBound]..<self.byteOffsets[scalars.upperBound]
    }
}
