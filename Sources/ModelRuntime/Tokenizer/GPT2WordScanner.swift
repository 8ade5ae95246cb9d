/// GPT-2's pre-tokenizer pattern as a hand-written scanner, one word per step:
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
///
/// It follows llama.cpp's `unicode_regex_split_custom_gpt2` branch for branch, so that the
/// words (and so the tokens) are the ones the model was converted with: contractions are
/// case-sensitive, a single space joins the word after it, and a whitespace run followed by
/// a non-space gives up its last scalar to that word.
struct GPT2WordScanner {
    let text: PreTokenizerText

    func scan(_ segment: Range<Int>, _ body: (Range<Int>) -> Void) {
        var position = segment.lowerBound
        let end = segment.upperBound

        // Class of a scalar, nil outside the segment (the regex cannot see past it).
        func classAt(_ index: Int) -> ScalarClass? {
            index < end ? self.text.classes[index] : nil
        }
        func emit(_ newPosition: Int) {
            body(self.text.byteRange(position..<newPosition))
            position = newPosition
        }

        while position < end {
            let scalar = self.text.scalars[position]
            if scalar == 0x27, let length = self.contractionLength(at: position, end: end) {
                emit(position + length)
                continue
            }
            let isSpace = scalar == 0x20
            let leading = isSpace ? classAt(position + 1) : self.text.classes[position]
            switch leading {
            case .letter?, .number?, .other?:
                let run = leading
                var next = position + (isSpace ? 1 : 0)
                while next < end, classAt(next) == run {
                    next += 1
                }
                emit(next)
                continue
            case .whitespace?, nil:
                break
            }

            var whitespaceCount = 0
            while classAt(position + whitespaceCount) == .whitespace {
                whitespaceCount += 1
            }
            if whitespaceCount > 1 && position + whitespaceCount < end {
                // \s+(?!\S): the last whitespace scalar stays for the word that follows.
                emit(position + whitespaceCount - 1)
            } else if whitespaceCount > 0 {
                emit(position + whitespaceCount)
            } else {
                emit(position + 1)
            }
        }
    }

    /// 2 for 's 't 'm 'd, 3 for 're 've 'll (lower case only, as in GPT-2), else nil.
    private func contractionLength(at position: Int, end: Int) -> Int? {
        guard position + 1 < end else { return nil }
        let next = self.text.scalars[position + 1]
        switch next {
        case 0x73, 0x74, 0x6D, 0x64:  // s t m d
            return 2
        default:
            break
        }
        guard position + 2 < end else { return nil }
        let nextNext = self.text.scalars[position + 2]
        switch (next, nextNext) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C):  // re ve ll
            return 3
        default:
            return nil
        }
    }
}
