import ModelRuntime
import Testing

@Suite struct TokenizerBPETests {
    let vocabulary = TokenizerTestVocabulary.self

    @Test func mergesWordsAndFallsBackToBytes() throws {
        let tokenizer = try vocabulary.make()
        let ids = tokenizer.encode("hello world!", addSpecial: false, parseSpecial: false)
        #expect(ids == [vocabulary.id("hello"), vocabulary.id("Ġworld"), Int32(UInt8(ascii: "!"))])
        #expect(tokenizer.decode(ids) == "hello world!")
    }

    @Test func lowerRankMergesFirst() throws {
        let abFirst = try vocabulary.make(merges: ["a b", "b c"])
        #expect(abFirst.encode("abc", addSpecial: false, parseSpecial: false) == [vocabulary.id("ab"), 99])
        let bcFirst = try vocabulary.make(merges: ["b c", "a b"])
        #expect(bcFirst.encode("abc", addSpecial: false, parseSpecial: false) == [97, vocabulary.id("bc")])
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let tokenizer = try vocabulary.make(merges: ["l l"])
        // "lll": the pair at 0 merges first, leaving one "l".
        #expect(tokenizer.encode("lll", addSpecial: false, parseSpecial: false) == [vocabulary.id("ll"), 108])
        #expect(tokenizer.encode("llll", addSpecial: false, parseSpecial: false) == [vocabulary.id("ll"), vocabulary.id("ll")])
    }

    @Test func controlTokensOnlyWhenParsingSpecial() throws {
        let tokenizer = try vocabulary.make()
        let text = "<|im_start|>hello<|im_end|>"
        #expect(
            tokenizer.encode(text, addSpecial: false, parseSpecial: true)
                == [vocabulary.id("<|im_start|>"), vocabulary.id("hello"), vocabulary.id("<|im_end|>")])
        let literal = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        #expect(!literal.contains(vocabulary.id("<|im_start|>")))
        #expect(tokenizer.decode(literal) == text)
    }

    @Test func userDefinedTokensAlwaysMatch() throws {
        let tokenizer = try vocabulary.make()
        let ids = tokenizer.encode("hello<tool>hello", addSpecial: false, parseSpecial: false)
        #expect(ids == [vocabulary.id("hello"), vocabulary.id("<tool>"), vocabulary.id("hello")])
        #expect(tokenizer.decode(ids) == "hello<tool>hello")
    }

    @Test func addSpecialFollowsMetadata() throws {
        let withBOS = try vocabulary.make(addBOS: true)
        #expect(withBOS.encode("hello", addSpecial: true, parseSpecial: false) == [vocabulary.id("<|im_start|>"), vocabulary.id("hello")])
        #expect(withBOS.encode("hello", addSpecial: false, parseSpecial: false) == [vocabulary.id("hello")])
        let withoutBOS = try vocabulary.make(addBOS: false)
        #expect(withoutBOS.encode("hello", addSpecial: true, parseSpecial: false) == [vocabulary.id("hello")])
    }

    @Test func controlTokensDecodeToNothingUnlessAsked() throws {
        let tokenizer = try vocabulary.make()
        let ids = [vocabulary.id("<|im_start|>"), vocabulary.id("hello"), vocabulary.id("<|im_end|>")]
        #expect(tokenizer.decode(ids) == "hello")
        #expect(tokenizer.decode(ids, includeControl: true) == "<|im_start|>hello<|im_end|>")
        #expect(tokenizer.text(forToken: vocabulary.id("<|im_end|>")) == "<|im_end|>")
        #expect(tokenizer.bytes(forToken: vocabulary.id("Ġworld")) == Array(" world".utf8))
        #expect(tokenizer.bytes(forToken: 1_000_000).isEmpty)
    }

    @Test func invalidUTF8IsAClearError() throws {
        let tokenizer = try vocabulary.make()
        let cases: [([UInt8], Int)] = [
            ([0x68, 0x69, 0xFF], 2),  // a byte that never occurs in UTF-8
            ([0x68, 0xC3], 1),  // truncated 2-byte sequence
            ([0xC0, 0xAF], 0),  // overlong "/"
            ([0x61, 0xED, 0xA0, 0x80], 1),  // a surrogate
            ([0xF4, 0x90, 0x80, 0x80], 0),  // above U+10FFFF
            ([0x80], 0),  // a lone continuation byte
        ]
        for (bytes, offset) in cases {
            let error = #expect(throws: ModelRuntimeError.self) {
                try tokenizer.encode(utf8: bytes, addSpecial: false, parseSpecial: false)
            }
            #expect(error?.description.hasPrefix("prompt: invalid UTF-8 at byte \(offset) ") == true)
        }
        let valid = Array("héllo wörld 😀".utf8)
        let ids = try tokenizer.encode(utf8: valid, addSpecial: false, parseSpecial: false)
        #expect(tokenizer.decode(ids) == "héllo wörld 😀")
    }

    @Test func badVocabularyIsAClearError() throws {
        #expect(throws: ModelRuntimeError.self) {
            try Tokenizer(tokens: ["<a>", "<b>"], merges: [], preTokenizer: .gpt2)  // no byte tokens
        }
        let tokens = TokenizerTestVocabulary.tokens
        #expect(throws: ModelRuntimeError.self) {
            try Tokenizer(tokens: tokens, merges: ["nospace"], preTokenizer: .gpt2)
        }
        #expect(throws: ModelRuntimeError.self) {
            try Tokenizer(tokens: tokens, merges: [], preTokenizer: .gpt2, eosTokenID: Int32(tokens.count))
        }
        #expect(throws: ModelRuntimeError.self) {
            try Tokenizer(tokens: tokens, tokenTypes: [.normal], merges: [], preTokenizer: .gpt2)
        }
    }

    @Test func bytesWithoutATokenAreDropped() throws {
        var tokens = TokenizerTestVocabulary.tokens
        tokens[4] = "<no byte 4>"
        let tokenizer = try Tokenizer(tokens: tokens, merges: [], preTokenizer: .gpt2)
        #expect(tokenizer.encode("a\u{4}b \u{4}", addSpecial: false, parseSpecial: false) == [97, 98, 32])
    }

    @Test func longWordsMergeCorrectly() throws {
        let tokenizer = try vocabulary.make()
        let word = String(repeating: "hello", count: 4_000)
        let ids = tokenizer.encode(word, addSpecial: false, parseSpecial: false)
        #expect(ids == [Int32](repeating: vocabulary.id("hello"), count: 4_000))
    }
}
