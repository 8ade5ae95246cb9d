/// A token matched as a whole string in the text before pre-tokenization.
struct SpecialToken: Sendable {
    var bytes: [UInt8]
    var id: Int32
    /// User-defined tokens are always matched; control and unknown ones only when the caller
    /// parses special tokens (llama.cpp's `tokenizer_st_partition`).
    var alwaysMatched: Bool

    static func matchable(tokens: [String], types: [TokenType]) -> [SpecialToken] {
        var result: [SpecialToken] = []
        for (id, (text, type)) in zip(tokens, types).enumerated() where !text.isEmpty {
            switch type {
            case .control, .unknown:
                result.append(.init(bytes: Array(text.utf8), id: Int32(id), alwaysMatched: false))
            case .userDefined:
                result.append(.init(bytes: Array(text.utf8), id: Int32(id), alwaysMatched: true))
            case .normal, .undefined, .unused, .byte:
                break
            }
        }
        // Longest first, so "<|im_start|>" is not cut by a shorter token inside it; ties by id
        // keep the order deterministic.
        result.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        return result
    }
}

/// A piece of the text being encoded: raw text (a byte range) or an already matched token.
enum TextFragment {
    case text(Range<Int>)
    case token(Int32)
}

extension Tokenizer {
    /// Splits `bytes` around occurrences of special tokens, longest token first, each token
    /// searched in the raw text that longer tokens left over.
    func partition(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [TextFragment] {
        var fragments: [TextFragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in self.specialTokens where special.alwaysMatched || parseSpecial {
            var next: [TextFragment] = []
            next.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                var start = range.lowerBound
                while let found = Self.find(special.bytes, in: bytes, from: start, to: range.upperBound) {
                    if start < found {
                        next.append(.text(start..<found))
                    }
                    next.append(.token(special.id))
                    start = found + special.bytes.count
                }
                if start < range.upperBound {
                    next.append(.text(start..<range.upperBound))
                }
            }
            fragments = next
        }
        return fragments
    }

    /// First offset in `start..<end` where `needle` occurs entirely inside that range.
    private static func find(
        _ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int
    ) -> Int? {
        guard let first = needle.first, end - start >= needle.count else { return nil }
        var index = start
        let last = end - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count && haystack[index + matched] == needle[matched] {
                    matched += 1
                }
                if matched == needle.count {
                    return index
                }
            }
            index += 1
        }
        return nil
    }
}
