import DecodeKernels
import GatewayCore
import ModelRuntime

extension LlamaReplica {
    /// The drain rate (tokens per second) admission starts from: one full decode step timed
    /// at load. Until a backlogged step has measured the replica, admission has nothing else
    /// to go on, and a guess that is too high lets a cold-start burst in that then times out
    /// in the queue instead of getting its 429 at once. A decode step is the slowest work
    /// per token the replica does, so the estimate errs towards refusing early; the first
    /// backlogged steps replace it.
    ///
    /// The step runs before the scheduler exists, on blocks nobody owns yet: each position it
    /// writes is written again by the sequence that is later given that block before any
    /// attention reads it.
    static func calibrateDrainRate(context: LlamaContext, cache: PagedKVCache, sequences: Int) -> Double? {
        let count = min(sequences, cache.blockCount)
        guard count > 0 else { return nil }
        let batch = (0..<count).map { index in
            LlamaBatchEntry(tokens: [Int32(index)], startPosition: 0, blockTable: [Int32(index)])
        }
        let clock = ContinuousClock()
        let start = clock.now
        guard (try? context.forward(batch, cache: cache)) != nil else { return nil }
        let seconds = (clock.now - start).secondsValue
        guard seconds > 0 else { return nil }
        return Double(count) / seconds
    }
}
