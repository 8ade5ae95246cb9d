/// A token's log-probability, and the alternatives the sampler considered.
public struct TokenLogprob: Sendable, Equatable {
    public var token: String
    public var logprob: Float
    /// UTF-8 bytes of the token (it may be part of a multi-byte character).
    public var bytes: [UInt8]

    public init(token: String, logprob: Float, bytes: [UInt8]) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
    }
}

/// One generated token as it leaves the engine.
public struct GeneratedToken: Sendable, Equatable {
    public var id: Int32
    /// Text this token completes. Always valid UTF-8; empty while a multi-byte character is
    /// still incomplete, and then the next token carries the whole character.
    public var text: String
    /// Present when the request asked for log-probabilities.
    public var logprob: TokenLogprob?
    public var topLogprobs: [TokenLogprob]

    public init(id: Int32, text: String, logprob: TokenLogprob? = nil, topLogprobs: [TokenLogprob] = []) {
        self.id = id
        self.text = text
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// Why a generation ended. `stop` and `length` are OpenAI's finish reasons.
public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-sequence token or a stop sequence.
    case stop
    /// `max_tokens` or the context window.
    case length
}

/// Token counts reported as OpenAI's `usage`.
public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Where the request ran and its simulated device time; nil for engines without a
    /// device (echo).
    public var execution: ExecutionSummary?

    public init(promptTokens: Int, completionTokens: Int, execution: ExecutionSummary? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.execution = execution
    }

    public var totalTokens: Int { self.promptTokens + self.completionTokens }
}

/// What an engine streams back for one request: tokens, then exactly one `finished`.
public enum GenerationEvent: Sendable, Equatable {
    case token(GeneratedToken)
    case finished(FinishReason, Usage)
}
