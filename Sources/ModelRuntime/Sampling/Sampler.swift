/// Chooses one sequence's tokens from the model's logits: penalties, then greedy or
/// temperature sampling with top-k, top-p and min-p truncation, with its own seeded
/// generator, so a seeded request gives the same tokens whatever else runs in its batch.
///
/// One per sequence; it remembers the prompt and the tokens it chose, for the penalties.
/// Order of operations (Hugging Face's): penalties → temperature → top-k → top-p → min-p →
/// draw. Log-probabilities come from the penalised logits before temperature (see
/// `SampledToken`).
public struct Sampler: Sendable {
    public let configuration: SamplerConfiguration
    /// The seed in use: the configuration's, or one drawn from the system RNG.
    public let seed: UInt64
    var generator: Xoshiro256
    /// Prompt and generated tokens, for the repetition penalty.
    var seenTokens: Set<Int32>
    /// How often each token has been generated, for presence and frequency penalties.
    var generatedCounts: [Int32: Int] = [:]
    /// The penalised logits of the current step, reused across steps to avoid an allocation.
    private var scratch: [Float] = []

    public init(configuration: SamplerConfiguration, promptTokens: [Int32] = []) throws {
        try configuration.validate()
        self.configuration = configuration
        self.seed = configuration.seed ?? UInt64.random(in: .min ... .max)
        self.generator = Xoshiro256(seed: self.seed)
        self.seenTokens = configuration.repetitionPenalty == 1 ? [] : Set(promptTokens)
    }

    /// Chooses the next token from one row of logits (one per vocabulary entry) and records
    /// it for the penalties of later steps. Empty logits, a caller's bug, give id -1 marked
    /// as a stop, so the sequence ends instead of the process.
    public mutating func sample(logits: UnsafeBufferPointer<Float>) -> SampledToken {
        guard !logits.isEmpty else {
            return SampledToken(id: -1, logprob: nil, topLogprobs: [], isStop: true)
        }
        var penalisedLogits = self.scratch
        self.scratch = []
        defer { self.scratch = penalisedLogits }
        if penalisedLogits.count != logits.count {
            penalisedLogits = [Float](repeating: 0, count: logits.count)
        }
        let result = penalisedLogits.withUnsafeMutableBufferPointer { penalised in
            for index in 0..<logits.count {
                let value = logits[index]
                // NaN can never be chosen; +∞ would turn every softmax into NaN.
                penalised[index] = value.isNaN ? -.infinity : min(value, .greatestFiniteMagnitude)
            }
            self.applyPenalties(to: penalised)
            let view = UnsafeBufferPointer(penalised)
            let maximum = Sampler.argmax(view)
            let id =
                self.configuration.isGreedy || view[Int(maximum)] == -.infinity
                ? maximum : self.draw(from: view, best: maximum)
            return self.describe(id, in: view, maximum: view[Int(maximum)])
        }
        self.record(result.id)
        return result
    }

    public mutating func sample(logits: [Float]) -> SampledToken {
        logits.withUnsafeBufferPointer { self.sample(logits: $0) }
    }

    private mutating func record(_ id: Int32) {
        if self.configuration.repetitionPenalty != 1 {
            self.seenTokens.insert(id)
        }
        if self.configuration.presencePenalty != 0 || self.configuration.frequencyPenalty != 0 {
            self.generatedCounts[id, default: 0] += 1
        }
    }

    /// The first index of the largest value.
    static func argmax(_ values: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for index in 0..<values.count where values[index] > bestValue {
            best = index
            bestValue = values[index]
        }
        return Int32(best)
    }
}
