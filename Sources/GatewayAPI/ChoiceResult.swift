import GatewayCore

/// One choice of a non-streamed response, accumulated from its generation's events.
struct ChoiceResult: Sendable {
    var text = ""
    /// Kept only when the request asked for log-probabilities.
    var tokens: [GeneratedToken] = []
    var finishReason: FinishReason?
    var usage: Usage?

    mutating func apply(_ event: GenerationEvent, keepTokens: Bool) {
        switch event {
        case .token(let token):
            self.text += token.text
            if keepTokens { self.tokens.append(token) }
        case .finished(let reason, let usage):
            self.finishReason = reason
            self.usage = usage
        }
    }
}
