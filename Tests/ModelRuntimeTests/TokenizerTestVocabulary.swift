import ModelRuntime

/// A small hand-built byte-level vocabulary: the 256 byte tokens (ids 0–255, in byte order),
/// then the merge results below, then special tokens.
enum TokenizerTestVocabulary {
    /// GPT-2's byte alphabet, written out independently of the module's table.
    static let byteSpellings: [String] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var spelling = [String](repeating: "", count: 256)
        for byte in printable {
            spelling[byte] = String(Character(Unicode.Scalar(UInt8(byte))))
        }
        var next = 256
        for byte in 0..<256 where !printable.contains(byte) {
            spelling[byte] = String(Character(Unicode.Scalar(UInt32(next))!))
            next += 1
        }
        return spelling
    }()

    static let merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d", "a b", "b c"]

    static let specials: [(String, TokenType)] = [
        ("<|im_start|>", .control), ("<|im_end|>", .control), ("<|endoftext|>", .control), ("<tool>", .userDefined),
    ]

    static var tokens: [String] {
        var tokens = byteSpellings
        for merge in merges {
            let parts = merge.split(separator: " ")
            let joined = parts.joined()
            if !tokens.contains(joined) {
                tokens.append(joined)
            }
        }
        return tokens + specials.map(\.0)
    }

    static func make(merges: [String] = merges, preTokenizer: PreTokenizer = .gpt2IndividualDigits, addBOS: Bool = false) throws -> Tokenizer {
        let tokens = tokens
        let types = tokens.indices.map { index in
            specials.first { $0.0 == tokens[index] }?.1 ?? .normal
        }
        return try Tokenizer(
            tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: preTokenizer,
            bosTokenID: id("<|im_start|>", in: tokens), eosTokenID: id("<|im_end|>", in: tokens), addBOS: addBOS)
    }

    static func id(_ text: String, in tokens: [String] = tokens) -> Int32 {
        Int32(tokens.firstIndex(of: text) ?? -1)
    }
}
