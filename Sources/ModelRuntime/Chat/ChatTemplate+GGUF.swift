extension ChatTemplate {
    /// The chat template a GGUF file carries in `tokenizer.chat_template`; a missing or
    /// unknown template is a `ModelRuntimeError` naming the file.
    public init(gguf file: GGUFFile) throws {
        guard let source = try file.optionalString("tokenizer.chat_template") else {
            throw ModelRuntimeError(file.path, "metadata tokenizer.chat_template is missing")
        }
        do {
            try self.init(jinja: source)
        } catch let error as ModelRuntimeError {
            throw ModelRuntimeError(file.path, error.problem)
        }
    }
}
