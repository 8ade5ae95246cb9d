/// Turns one sequence's token ids, one at a time, into text pieces that are each well-formed
/// UTF-8: a token that ends inside a multi-byte character is held back until a later token
/// completes it. One per sequence; a value, so it travels with the sequence's state.
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    /// Whether control tokens (`<|im_end|>`…) appear in the text.
    public let includeControl: Bool
    /// Bytes of an unfinished character, at most 3.
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, includeControl: Bool = false) {
        self.tokenizer = tokenizer
        self.includeControl = includeControl
    }

    /// The text that `token` completes; empty while a character is still incomplete or for a
    /// token that decodes to nothing. Bytes that no later token could complete come out as
    /// U+FFFD rather than waiting forever.
    public mutating func append(_ token: Int32) -> String {
        self.tokenizer.appendPiece(of: token, includeControl: self.includeControl, to: &self.pending)
        let held = UTF8Validation.incompleteSuffixLength(of: self.pending)
        guard held < self.pending.count else { return "" }
        let text = String(decoding: self.pending[..<(self.pending.count - held)], as: UTF8.self)
        self.pending.removeFirst(self.pending.count - held)
        return text
    }

    /// Whether bytes of an unfinished character are waiting.
    public var hasPendingBytes: Bool { !self.pending.isEmpty }

    /// Ends the sequence: whatever is still held back, as U+FFFD.
    public mutating func finish() -> String {
        defer { self.pending.removeAll() }
        return String(decoding: self.pending, as: UTF8.self)
    }
}
