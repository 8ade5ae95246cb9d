extension Tokenizer {
    /// The tokenizer a GGUF file's metadata describes (`tokenizer.ggml.*`). Every problem —
    /// a tokenizer model other than byte-level BPE, an unknown pre-tokenizer, a token type
    /// out of range, bad ids — is a `ModelRuntimeError` naming the file.
    public convenience init(gguf file: GGUFFile) throws {
        let model = try file.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw ModelRuntimeError(file.path, "unsupported tokenizer model '\(model)' (supported: gpt2, byte-level BPE)")
        }
        guard let preName = try file.optionalString("tokenizer.ggml.pre") else {
            throw ModelRuntimeError(file.path, "metadata tokenizer.ggml.pre is missing; the pre-tokenizer split is unknown")
        }
        let preTokenizer: PreTokenizer
        do {
            preTokenizer = try PreTokenizer(ggufName: preName)
        } catch let error as ModelRuntimeError {
            throw ModelRuntimeError(file.path, error.problem)
        }
        let tokens = try file.stringArray("tokenizer.ggml.tokens")
        var types: [TokenType]? = nil
        if file.metadata["tokenizer.ggml.token_type"] != nil {
            types = try file.integerArray("tokenizer.ggml.token_type").enumerated().map { id, raw in
                guard let raw = Int32(exactly: raw), let type = TokenType(rawValue: raw) else {
                    throw ModelRuntimeError(file.path, "token \(id) has unknown type \(raw)")
                }
                return type
            }
        }
        func tokenID(_ key: String) throws -> Int32? {
            guard let value = try file.optionalInteger(key) else { return nil }
            guard let id = Int32(exactly: value) else {
                throw ModelRuntimeError(file.path, "metadata \(key) = \(value) is not a token id")
            }
            return id
        }
        try self.init(
            tokens: tokens,
            tokenTypes: types,
            merges: try file.stringArray("tokenizer.ggml.merges"),
            preTokenizer: preTokenizer,
            bosTokenID: try tokenID("tokenizer.ggml.bos_token_id"),
            eosTokenID: try tokenID("tokenizer.ggml.eos_token_id"),
            addBOS: try file.optionalBool("tokenizer.ggml.add_bos_token") ?? false,
            addEOS: try file.optionalBool("tokenizer.ggml.add_eos_token") ?? false,
            errorSource: file.path
        )
    }
}
