import ModelRuntime
import Testing

@Suite struct TokenizerStreamingDecodeTests {
    let vocabulary = TokenizerTestVocabulary.self

    @Test func multibyteCharacterSplitAcrossTokensIsHeldBack() throws {
        let tokenizer = try vocabulary.make()
        // "é" is C3 A9 and "😀" F0 9F 98 80: with no merges each byte is its own token.
        let ids = tokenizer.encode("hé😀!", addSpecial: false, parseSpecial: false)
        #expect(ids == [104, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 33])
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        let pieces = ids.map { detokenizer.append($0) }
        #expect(pieces == ["h", "", "é", "", "", "", "😀", "!"])
        #expect(!detokenizer.hasPendingBytes)
        #expect(detokenizer.finish() == "")
    }

    @Test func controlTokensAreSilentUnlessAsked() throws {
        let tokenizer = try vocabulary.make()
        let ids = [vocabulary.id("hello"), vocabulary.id("<|im_end|>")]
        var silent = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(ids.map { silent.append($0) } == ["hello", ""])
        var verbose = StreamingDetokenizer(tokenizer: tokenizer, includeControl: true)
        #expect(ids.map { verbose.append($0) } == ["hello", "<|im_end|>"])
    }

    @Test func bytesThatCannotCompleteAreReplacedNotHeld() throws {
        let tokenizer = try vocabulary.make()
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        // A lone continuation byte can never become valid: out it comes as U+FFFD.
        #expect(detokenizer.append(0x80) == "\u{FFFD}")
        // A lead byte followed by ASCII: the lead byte is given up at once.
        #expect(detokenizer.append(0xE2) == "")
        #expect(detokenizer.append(104) == "\u{FFFD}h")
        // A sequence still open when the sequence ends.
        #expect(detokenizer.append(0xF0) == "")
        #expect(detokenizer.hasPendingBytes)
        #expect(detokenizer.finish() == "\u{FFFD}")
    }
}
