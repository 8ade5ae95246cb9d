/// Why a generation ended.
public enum LlamaStopReason: String, Sendable, Equatable {
    /// The model produced the end-of-sequence token.
    case endOfSequence
    /// The model produced one of the stop token ids (a chat template's end of turn, say).
    case stopToken
    /// `maxTokens` tokens were generated.
    case maxTokens
    /// The sequence filled the context window.
    case contextWindow
}

/// What one generation produced and how fast.
public struct LlamaGeneration: Sendable, Equatable {
    /// Generated tokens, the stop token excluded.
    public var tokens: [Int32]
    public var stopReason: LlamaStopReason
    public var promptTokenCount: Int
    /// Time to run the prompt and get the first logits.
    public var prefillDuration: Duration
    /// Time of the decode loop: one forward pass per generated token after the first.
    public var decodeDuration: Duration
    /// Forward passes the decode loop ran.
    public var decodeSteps: Int

    public var prefillTokensPerSecond: Double {
        Double(self.promptTokenCount) / max(self.prefillDuration.seconds, 1e-9)
    }

    public var decodeTokensPerSecond: Double {
        Double(self.decodeSteps) / max(self.decodeDuration.seconds, 1e-9)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
