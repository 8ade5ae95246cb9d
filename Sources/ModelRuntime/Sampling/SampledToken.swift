/// A token id with its log-probability.
public struct TokenLogprob: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float

    public init(id: Int32, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

/// What the sampler chose for one position.
///
/// Log-probabilities are the log-softmax of the model's logits after the penalties and
/// before temperature and truncation: they describe the model's (penalised) distribution,
/// not the reshaped one the token was drawn from, so they stay comparable across requests
/// with different temperatures — and are finite for every token, including ones top-k or
/// top-p ruled out. OpenAI's API does the same.
public struct SampledToken: Sendable, Equatable {
    public var id: Int32
    /// nil unless the configuration asks for log-probabilities.
    public var logprob: Float?
    /// The most likely tokens, most likely first; empty unless asked.
    public var topLogprobs: [TokenLogprob]
    /// Whether `id` is one of the configuration's stop token ids.
    public var isStop: Bool

    public init(id: Int32, logprob: Float?, topLogprobs: [TokenLogprob], isStop: Bool) {
        self.id = id
        self.logprob = logprob
        self.topLogprobs = topLogprobs
        self.isStop = isStop
    }
}
