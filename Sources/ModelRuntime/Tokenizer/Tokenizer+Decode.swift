extension Tokenizer {
    /// The bytes a token stands for, whatever its type (control tokens give their text): what
    /// a logprobs entry reports. Empty for an id outside the vocabulary.
    public func bytes(forToken id: Int32) -> [UInt8] {
        guard let range = self.pieceRange(id) else { return [] }
        return Array(self.pieceBytes[range])
    }

    /// A token's text; bytes that are not well-formed UTF-8 on their own (half a character)
    /// become U+FFFD.
    public func text(forToken id: Int32) -> String {
        String(decoding: self.bytes(forToken: id), as: UTF8.self)
    }

    /// The text of a whole token sequence; control tokens are left out unless
    /// `includeControl`. Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int32], includeControl: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            self.appendPiece(of: id, includeControl: includeControl, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether a token is a control (or unknown) token, the kind that decodes to nothing.
    public func isControl(_ id: Int32) -> Bool {
        guard id >= 0, Int(id) < self.tokenTypes.count else { return false }
        let type = self.tokenTypes[Int(id)]
        return type == .control || type == .unknown
    }

    func appendPiece(of id: Int32, includeControl: Bool, to bytes: inout [UInt8]) {
        guard let range = self.pieceRange(id), includeControl || !self.isControl(id) else { return }
        bytes += self.pieceBytes[range]
    }

    private func pieceRange(_ id: Int32) -> Range<Int>? {
        guard id >= 0, Int(id) < self.tokens.count else { return nil }
        return self.pieceOffsets[Int(id)]..<self.pieceOffsets[Int(id) + 1]
    }
}
