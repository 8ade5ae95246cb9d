import DecodeKernels
import GatewayCore
import ModelRuntime

/// One request's state inside a replica's step loop (only that thread touches it after
/// admission).
final class ReplicaSequence {
    let id: UInt64
    let prompt: [Int32]
    let maxTokens: Int
    var sampler: Sampler
    var detokenizer: StreamingDetokenizer
    var stopMatcher: StopSequenceMatcher
    let wantsLogprobs: Bool
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation

    /// The sequence's KV blocks; positions `0..<table.tokenCount` are in the cache.
    var table = BlockTable()
    /// Blocks set aside at admission for the whole prompt plus `maxTokens`.
    var reservedBlocks = 0
    /// Generated token ids, the last of which is fed back at the next decode step.
    var generated: [Int32] = []
    /// Set once its blocks are released; the loop drops it from `running`.
    var isFinished = false

    init(
        id: UInt64, prompt: [Int32], maxTokens: Int, sampler: Sampler, detokenizer: StreamingDetokenizer,
        stopMatcher: StopSequenceMatcher, wantsLogprobs: Bool,
        continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    ) {
        self.id = id
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampler = sampler
        self.detokenizer = detokenizer
        self.stopMatcher = stopMatcher
        self.wantsLogprobs = wantsLogprobs
        self.continuation = continuation
    }

    /// Prompt tokens not yet in the cache.
    var remainingPrompt: Int { max(0, self.prompt.count - self.table.tokenCount) }

    /// KV positions the sequence can ever hold.
    var capacity: Int { self.prompt.count + self.maxTokens }

    var usage: Usage { Usage(promptTokens: self.prompt.count, completionTokens: self.generated.count) }
}
