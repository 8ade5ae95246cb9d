/// One sequence's share of an iteration: `newTokens` processed now (a prefill chunk, or 1
/// for a decode step) on top of `contextTokens` already in its KV cache.
public struct SequenceStep: Sendable, Hashable, Codable {
    public var newTokens: Int
    public var contextTokens: Int

    public init(newTokens: Int, contextTokens: Int) {
        self.newTokens = max(newTokens, 0)
        self.contextTokens = max(contextTokens, 0)
    }

    public static func decode(contextTokens: Int) -> SequenceStep { SequenceStep(newTokens: 1, contextTokens: contextTokens) }
    public static func prefill(tokens: Int, after contextTokens: Int = 0) -> SequenceStep {
        SequenceStep(newTokens: tokens, contextTokens: contextTokens)
    }

    /// A decode step extends a cached context by one token; anything else is (chunked) prefill.
    public var isDecode: Bool { self.newTokens == 1 && self.contextTokens > 0 }

    /// Key positions the new tokens attend to under the causal mask: each of the n new tokens
    /// sees the c cached ones and the new ones up to itself, n·c + n(n+1)/2.
    public var attendedPairs: Double {
        let n = Double(self.newTokens)
        return n * Double(self.contextTokens) + n * (n + 1) / 2
    }
}

/// What the cost model needs of a batch: token, context and attention sums over its sequences.
public struct BatchTotals: Sendable, Hashable, Codable {
    public var tokens = 0
    public var prefillTokens = 0
    public var contextTokens = 0
    public var attendedPairs = 0.0
    public var sequences = 0

    public init() {}

    /// `count` sequences each taking `step` (a static batch in lockstep).
    public init(_ step: SequenceStep, count: Int) {
        self.add(step, count: count)
    }

    public mutating func add(_ step: SequenceStep, count: Int = 1) {
        guard step.newTokens > 0, count > 0 else { return }
        self.tokens += step.newTokens * count
        if !step.isDecode { self.prefillTokens += step.newTokens * count }
        self.contextTokens += step.contextTokens * count
        self.attendedPairs += step.attendedPairs * Double(count)
        self.sequences += count
    }
}
