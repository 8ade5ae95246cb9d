/// A token's type as GGUF's `tokenizer.ggml.token_type` stores it (llama.cpp's numbering).
public enum TokenType: Int32, Sendable, Equatable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// Markers such as `<|im_start|>`: matched as whole strings only when the caller asks to
    /// parse special tokens, and decoded to nothing unless asked.
    case control = 3
    /// Added tokens: always matched as whole strings before BPE, decoded verbatim.
    case userDefined = 4
    case unused = 5
    case byte = 6
}
