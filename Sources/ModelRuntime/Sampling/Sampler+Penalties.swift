extension Sampler {
    /// Repetition (HF, multiplicative) over prompt and generated tokens, then presence and
    /// frequency (OpenAI, additive) over generated tokens. Touches only the penalised tokens,
    /// never the whole vocabulary.
    func applyPenalties(to logits: UnsafeMutableBufferPointer<Float>) {
        let repetition = self.configuration.repetitionPenalty
        if repetition != 1 {
            for token in self.seenTokens where token >= 0 && Int(token) < logits.count {
                let value = logits[Int(token)]
                logits[Int(token)] = value > 0 ? value / repetition : value * repetition
            }
        }
        let presence = self.configuration.presencePenalty
        let frequency = self.configuration.frequencyPenalty
        for (token, count) in self.generatedCounts where token >= 0 && Int(token) < logits.count {
            logits[Int(token)] -= Float(count) * frequency + presence
        }
    }
}
