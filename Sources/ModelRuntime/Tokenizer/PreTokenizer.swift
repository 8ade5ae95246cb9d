/// How text is cut into words before BPE, as GGUF's `tokenizer.ggml.pre` names it.
///
/// Each case reproduces llama.cpp's split for the names that map to it (src/llama-vocab.cpp,
/// the `regex_exprs` of each `LLAMA_VOCAB_PRE_TYPE_*`), as a scanner over Unicode scalars
/// instead of a regular expression.
public enum PreTokenizer: Sendable, Equatable {
    /// GPT-2's pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// `\p{N}` first — every number scalar is a word of its own — then GPT-2's pattern over
    /// the text between them. llama.cpp uses this for `smollm`, `starcoder` and `refact`.
    case gpt2IndividualDigits

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value; an unknown name is an error, since
    /// a wrong split would silently give the model token sequences it was never trained on.
    public init(ggufName name: String) throws {
        switch name {
        case "gpt-2":
            self = .gpt2
        case "smollm", "starcoder", "refact":
            self = .gpt2IndividualDigits
        default:
            throw ModelRuntimeError(
                "tokenizer", "unsupported pre-tokenizer '\(name)' (supported: gpt-2, smollm, starcoder, refact)")
        }
    }

    /// Cuts `text` into words and calls `body` with each word's UTF-8 byte range.
    func forEachWord(in text: PreTokenizerText, _ body: (Range<Int>) -> Void) {
        let scanner = GPT2WordScanner(text: text)
        switch self {
        case .gpt2:
            scanner.scan(0..<text.count, body)
        case .gpt2IndividualDigits:
            var segmentStart = 0
            for index in 0..<text.count where text.classes[index] == .number {
                if segmentStart < index {
                    scanner.scan(segmentStart..<index, body)
                }
                body(text.byteRange(index..<(index + 1)))
                segmentStart = index + 1
            }
            if segmentStart < text.count {
                scanner.scan(segmentStart..<text.count, body)
            }
        }
    }
}

extension PreTokenizer {
    /// The words `text` is cut into, in order; joined they give `text` back.
    public func split(_ text: String) -> [String] {
        let utf8 = Array(text.utf8)
        var words: [String] = []
        utf8.withUnsafeBufferPointer { bytes in
            self.forEachWord(in: PreTokenizerText(validUTF8: bytes, byteOffset: 0)) { range in
                words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
            }
        }
        return words
    }
}
