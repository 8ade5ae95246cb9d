/// A static-batch run: `batchSize` sequences prefilled together, then decoded in lockstep.
public struct StaticBatchResult: Sendable, Hashable, Codable {
    /// The prefill iteration, which also yields each sequence's first output token.
    public var firstTokenSeconds: Double
    public var totalSeconds: Double
    public var outputTokens: Int

    /// Output tokens per second of the whole TP group.
    public var outputTokensPerSecond: Double { Double(self.outputTokens) / self.totalSeconds }
}

extension CostModel {
    /// Runs `batchSize` sequences of `inputTokens` through one prefill iteration and
    /// `outputTokens − 1` decode iterations, the way TensorRT-LLM's gptSessionBenchmark measures
    /// its static-batching throughput and first-token latency.
    public func staticBatch(batchSize: Int, inputTokens: Int, outputTokens: Int) -> StaticBatchResult {
        let batch = max(batchSize, 1)
        let prefill = self.cost(of: BatchTotals(.prefill(tokens: max(inputTokens, 1)), count: batch)).seconds
        var total = prefill
        if outputTokens > 1 {
            for generated in 1..<outputTokens {
                let step = SequenceStep.decode(contextTokens: inputTokens + generated - 1)
                total += self.cost(of: BatchTotals(step, count: batch)).seconds
            }
        }
        return StaticBatchResult(firstTokenSeconds: prefill, totalSeconds: total, outputTokens: batch * max(outputTokens, 1))
    }
}
