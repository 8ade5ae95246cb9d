/// How the next token is chosen from the model's logits. Defaults match OpenAI's API:
/// temperature 1, no truncation, no penalties.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 means greedy.
    public var temperature: Float = 1.0
    /// Nucleus sampling: keep the smallest set of tokens whose probability mass reaches `topP`.
    public var topP: Float = 1.0
    /// Keep the `topK` most likely tokens; 0 or less disables it.
    public var topK: Int = 0
    /// Drop tokens whose probability is below `minP` × the top token's probability.
    public var minP: Float = 0.0
    public var presencePenalty: Float = 0.0
    public var frequencyPenalty: Float = 0.0
    /// Multiplicative penalty (llama.cpp/HF style); 1 disables it.
    public var repetitionPenalty: Float = 1.0
    /// Makes a sampled request reproducible.
    public var seed: UInt64? = nil
    /// When set, each generated token reports its log-probability and this many alternatives.
    public var topLogprobs: Int? = nil

    public init() {}

    public var isGreedy: Bool { self.temperature <= 0 }
}
