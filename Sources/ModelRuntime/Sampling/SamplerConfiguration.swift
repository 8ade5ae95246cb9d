/// How a sequence's next token is chosen from the model's logits: ModelRuntime's own value,
/// filled from the request's sampling parameters. Defaults: temperature 1, no truncation,
/// no penalties.
public struct SamplerConfiguration: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Nucleus: keep the most likely tokens until their probability reaches `topP`; 1 disables.
    public var topP: Float
    /// Keep the `topK` most likely tokens; 0 disables.
    public var topK: Int
    /// Drop tokens less likely than `minP` × the most likely token's probability; 0 disables.
    public var minP: Float
    /// OpenAI: subtracted once from the logit of every token generated so far.
    public var presencePenalty: Float
    /// OpenAI: subtracted from a token's logit once per time it was generated so far.
    public var frequencyPenalty: Float
    /// Hugging Face: a positive logit is divided by it, a negative one multiplied, for every
    /// token of the prompt and the generated text; 1 disables.
    public var repetitionPenalty: Float
    /// The same seed gives the same tokens for the same logits; nil seeds from the system RNG.
    public var seed: UInt64?
    /// Sampling one of these reports `isStop`.
    public var stopTokenIDs: Set<Int32>
    /// nil: no log-probabilities. n ≥ 0: the chosen token's and the n most likely ones'.
    public var topLogprobs: Int?

    public init(
        temperature: Float = 1,
        topP: Float = 1,
        topK: Int = 0,
        minP: Float = 0,
        presencePenalty: Float = 0,
        frequencyPenalty: Float = 0,
        repetitionPenalty: Float = 1,
        seed: UInt64? = nil,
        stopTokenIDs: Set<Int32> = [],
        topLogprobs: Int? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
        self.stopTokenIDs = stopTokenIDs
        self.topLogprobs = topLogprobs
    }

    public var isGreedy: Bool { self.temperature == 0 }

    /// Throws a `ModelRuntimeError` naming the first parameter out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: some CustomStringConvertible, _ range: String) throws {
            if !ok {
                throw ModelRuntimeError("sampling", "\(name) \(value) is outside \(range)")
            }
        }
        try check(self.temperature >= 0 && self.temperature.isFinite, "temperature", self.temperature, "[0, ∞)")
        try check(self.topP > 0 && self.topP <= 1, "top_p", self.topP, "(0, 1]")
        try check(self.topK >= 0, "top_k", self.topK, "[0, ∞)")
        try check(self.minP >= 0 && self.minP <= 1, "min_p", self.minP, "[0, 1]")
        try check(self.presencePenalty.isFinite, "presence_penalty", self.presencePenalty, "finite values")
        try check(self.frequencyPenalty.isFinite, "frequency_penalty", self.frequencyPenalty, "finite values")
        try check(
            self.repetitionPenalty > 0 && self.repetitionPenalty.isFinite, "repetition_penalty",
            self.repetitionPenalty, "(0, ∞)")
        if let topLogprobs = self.topLogprobs {
            try check(topLogprobs >= 0, "top_logprobs", topLogprobs, "[0, ∞)")
        }
    }
}
