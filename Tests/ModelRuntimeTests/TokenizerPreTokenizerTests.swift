import ModelRuntime
import Testing

/// Expected words are those of Hugging Face `tokenizers` (Digits(individual_digits) +
/// ByteLevel) for the same strings, which llama.cpp's smollm split reproduces.
@Suite struct TokenizerPreTokenizerTests {
    let smollm = PreTokenizer.gpt2IndividualDigits

    @Test func namesMapToSplits() throws {
        #expect(try PreTokenizer(ggufName: "smollm") == .gpt2IndividualDigits)
        #expect(try PreTokenizer(ggufName: "gpt-2") == .gpt2)
    }

    @Test func unknownNameIsAClearError() {
        let error = #expect(throws: ModelRuntimeError.self) { try PreTokenizer(ggufName: "llama-bpe") }
        #expect(error?.description == "tokenizer: unsupported pre-tokenizer 'llama-bpe' (supported: gpt-2, smollm, starcoder, refact)")
    }

    @Test func contractionsAreLowerCaseOnly() {
        #expect(
            self.smollm.split("I'm you're they'll we've she'd it's I'M")
                == ["I", "'m", " you", "'re", " they", "'ll", " we", "'ve", " she", "'d", " it", "'s", " I", "'", "M"])
        #expect(self.smollm.split("DON'T") == ["DON", "'", "T"])
    }

    @Test func digitsStandAlone() {
        #expect(self.smollm.split("abc123 45") == ["abc", "1", "2", "3", " ", "4", "5"])
        #expect(PreTokenizer.gpt2.split("abc123 45") == ["abc", "123", " 45"])
        #expect(self.smollm.split("x² ½") == ["x", "²", " ", "½"])
    }

    @Test func punctuationRuns() {
        #expect(self.smollm.split("Hi!!! ...?") == ["Hi", "!!!", " ...?"])
    }

    @Test func whitespaceRunsGiveTheirLastSpaceToTheNextWord() {
        #expect(self.smollm.split("a   b") == ["a", "  ", " b"])
        #expect(self.smollm.split("a \n\n b") == ["a", " \n\n", " b"])
        #expect(self.smollm.split("end   ") == ["end", "   "])
        #expect(self.smollm.split("\tx") == ["\t", "x"])
        #expect(self.smollm.split("  ") == ["  "])
        #expect(self.smollm.split("") == [])
    }

    @Test func nonASCIILettersAndEmoji() {
        #expect(self.smollm.split("naïve café Ελληνικά 日本語") == ["naïve", " café", " Ελληνικά", " 日本語"])
        #expect(self.smollm.split("hi 😀🚀!") == ["hi", " 😀🚀!"])
    }
}
