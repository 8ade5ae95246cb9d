/// Generates one sequence's completion: the prompt in chunks, then one token per forward
/// pass, each chosen by the sampler, until end of sequence, a stop token, `maxTokens`, or
/// the end of the context window.
public struct LlamaGenerator {
    public let sequence: LlamaSequence
    /// Tokens per prefill forward pass.
    public var prefillChunk: Int
    /// The end-of-sequence token (the tokenizer's), if any.
    public var endOfSequence: Int32?
    /// Further tokens that end the generation (a chat template's end of turn).
    public var stopTokenIDs: Set<Int32>

    public init(sequence: LlamaSequence, endOfSequence: Int32?, stopTokenIDs: Set<Int32> = [], prefillChunk: Int? = nil) {
        self.sequence = sequence
        self.endOfSequence = endOfSequence
        self.stopTokenIDs = stopTokenIDs
        self.prefillChunk = prefillChunk ?? sequence.context.maxBatchTokens
    }

    /// Runs `prompt` from an empty sequence and generates up to `maxTokens` tokens, calling
    /// `onToken` with each one as it is chosen (stop tokens are not passed on). A prompt that
    /// does not fit the context window is an error before any work. The sequence's blocks are
    /// freed when it returns or throws.
    public func generate(
        prompt: [Int32], maxTokens: Int, sampler: inout Sampler, onToken: (Int32) throws -> Void
    ) throws -> LlamaGeneration {
        guard !prompt.isEmpty else { throw ModelRuntimeError("prompt", "the prompt has no tokens") }
        guard maxTokens > 0 else { throw ModelRuntimeError("request", "max tokens \(maxTokens) must be at least 1") }
        guard prompt.count <= self.sequence.capacity else {
            throw ModelRuntimeError(
                "prompt", "\(prompt.count) tokens exceed the context window of \(self.sequence.capacity) tokens")
        }
        let sequence = self.sequence
        sequence.reset()
        defer { sequence.reset() }
        let clock = ContinuousClock()
        let prefillStart = clock.now
        var logits = try sequence.append(prompt, chunkSize: self.prefillChunk)
        let prefillDuration = clock.now - prefillStart

        var result = LlamaGeneration(
            tokens: [], stopReason: .maxTokens, promptTokenCount: prompt.count,
            prefillDuration: prefillDuration, decodeDuration: .zero, decodeSteps: 0)
        let decodeStart = clock.now
        while true {
            let sampled = sampler.sample(logits: logits)
            if sampled.id == self.endOfSequence {
                result.stopReason = .endOfSequence
                break
            }
            if sampled.isStop || self.stopTokenIDs.contains(sampled.id) {
                result.stopReason = .stopToken
                break
            }
            result.tokens.append(sampled.id)
            try onToken(sampled.id)
            if result.tokens.count == maxTokens {
                result.stopReason = .maxTokens
                break
            }
            if sequence.length == sequence.capacity {
                result.stopReason = .contextWindow
                break
            }
            logits = try sequence.append([sampled.id])
            result.decodeSteps += 1
        }
        result.decodeDuration = clock.now - decodeStart
        return result
    }
}
