import GatewayCore
import ModelRuntime

/// One request's text-side state inside a replica: what the scheduler does not track
/// (sampler, detokenizer, stop matcher, the client's stream). Only the step loop's thread
/// touches its mutable parts once the scheduler has accepted it.
final class ReplicaSequence {
    /// Set under the replica's lock when the request is submitted to the scheduler.
    var id = RequestID("")
    let prompt: [Int32]
    let maxTokens: Int
    var sampler: Sampler
    var detokenizer: StreamingDetokenizer
    var stopMatcher: StopSequenceMatcher
    let wantsLogprobs: Bool
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    /// Where the step loop records this request's timeline, if the API asked for one.
    let timeline: TimelineRecorder?

    /// Generated token ids so far (the scheduler keeps its own copy for recompute).
    var generated: [Int32] = []
    /// Events of the step in flight, streamed when the step loop releases the step.
    var pending: [GenerationEvent] = []

    init(
        prompt: [Int32], maxTokens: Int, sampler: Sampler, detokenizer: StreamingDetokenizer,
        stopMatcher: StopSequenceMatcher, wantsLogprobs: Bool,
        continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation,
        timeline: TimelineRecorder? = nil
    ) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampler = sampler
        self.detokenizer = detokenizer
        self.stopMatcher = stopMatcher
        self.wantsLogprobs = wantsLogprobs
        self.continuation = continuation
        self.timeline = timeline
    }

    var usage: Usage { Usage(promptTokens: self.prompt.count, completionTokens: self.generated.count) }
}
