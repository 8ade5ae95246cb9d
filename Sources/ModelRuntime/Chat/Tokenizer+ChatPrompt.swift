extension Tokenizer {
    /// Token ids for a rendered chat: each marker becomes its control token, the text between
    /// markers is encoded as one run without parsing special tokens.
    ///
    /// For text without marker strings in it, this equals encoding `prompt.text` with
    /// `parseSpecial: true`, which is how llama.cpp encodes a templated prompt.
    public func encode(_ prompt: ChatPrompt, addSpecial: Bool) throws -> [Int32] {
        var result: [Int32] = []
        if addSpecial, self.addBOS, let bos = self.bosTokenID {
            result.append(bos)
        }
        var pendingText = ""
        func flushText() {
            guard !pendingText.isEmpty else { return }
            result += self.encode(pendingText, addSpecial: false, parseSpecial: false)
            pendingText = ""
        }
        for piece in prompt.pieces {
            switch piece {
            case .text(let text):
                pendingText += text
            case .marker(let marker):
                flushText()
                result.append(try self.controlTokenID(for: marker))
            }
        }
        flushText()
        if addSpecial, self.addEOS, let eos = self.eosTokenID {
            result.append(eos)
        }
        return result
    }

    /// The control token a chat template's marker names; a vocabulary without it cannot run
    /// the template, which is a load-time error.
    public func controlTokenID(for marker: String) throws -> Int32 {
        guard let id = self.tokenID(for: marker), self.tokenTypes[Int(id)] != .normal else {
            throw ModelRuntimeError("tokenizer", "chat template needs the special token '\(marker)', which the vocabulary lacks")
        }
        return id
    }
}

extension ChatTemplate {
    /// The token ids that end a chat turn (the template's stop markers), checked against the
    /// vocabulary: call once at load time.
    public func stopTokenIDs(in tokenizer: Tokenizer) throws -> [Int32] {
        try self.stopMarkers.map { try tokenizer.controlTokenID(for: $0) }
    }
}
