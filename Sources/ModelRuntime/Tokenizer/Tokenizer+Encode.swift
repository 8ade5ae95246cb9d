import Synchronization

extension Tokenizer {
    /// Token ids for `text`.
    ///
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS where the model's metadata asks for them.
    ///   - parseSpecial: match control tokens (`<|im_start|>`, `<|endoftext|>`…) written in the
    ///     text. Pass false for text from a client, so that it cannot forge the markers of a
    ///     chat; user-defined tokens are matched either way, as in llama.cpp.
    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var text = text
        return text.withUTF8 { self.encode(validUTF8: $0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// Token ids for UTF-8 bytes; ill-formed UTF-8 is a `ModelRuntimeError` naming the offset.
    public func encode<Bytes: Collection<UInt8>>(
        utf8 bytes: Bytes, addSpecial: Bool, parseSpecial: Bool
    ) throws -> [Int32] {
        let bytes = Array(bytes)
        return try bytes.withUnsafeBufferPointer { buffer in
            if let offset = UTF8Validation.firstInvalidOffset(in: buffer) {
                let byte = String(buffer[offset], radix: 16, uppercase: true)
                throw ModelRuntimeError("prompt", "invalid UTF-8 at byte \(offset) (0x\(byte))")
            }
            return self.encode(validUTF8: buffer, addSpecial: addSpecial, parseSpecial: parseSpecial)
        }
    }

    func encode(validUTF8 bytes: UnsafeBufferPointer<UInt8>, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial, self.addBOS, let bos = self.bosTokenID {
            result.append(bos)
        }
        for fragment in self.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                result.append(id)
            case .text(let range):
                self.appendTokens(forText: bytes, range: range, to: &result)
            }
        }
        if addSpecial, self.addEOS, let eos = self.eosTokenID {
            result.append(eos)
        }
        return result
    }

    /// Pre-tokenizes raw text (no special tokens inside) and appends each word's BPE tokens.
    func appendTokens(forText bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, to result: inout [Int32]) {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        // The fragment is well-formed UTF-8: it comes from a validated text cut only at the
        // boundaries of special tokens, which are themselves well-formed.
        let text = PreTokenizerText(validUTF8: slice, byteOffset: range.lowerBound)
        self.preTokenizer.forEachWord(in: text) { word in
            result += self.tokens(forWord: UnsafeBufferPointer(rebasing: bytes[word]))
        }
    }

    private func tokens(forWord word: UnsafeBufferPointer<UInt8>) -> [Int32] {
        guard word.count > 1 else {
            return word.map { self.merger.byteTokens[Int($0)] }.filter { $0 != BytePairMerger.missing }
        }
        guard word.count <= WordCache.maximumWordLength else {
            return self.merger.tokens(forWord: word)
        }
        let packed = WordCache.PackedWord(word)
        if let cached = self.wordCache.withLock({ $0.tokens(for: word, packed: packed) }) {
            return cached
        }
        let tokens = self.merger.tokens(forWord: word)
        self.wordCache.withLock { $0.insert(tokens, for: word, packed: packed) }
        return tokens
    }
}
