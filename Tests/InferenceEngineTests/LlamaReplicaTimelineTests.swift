import GatewayCore
import InferenceEngine
import Testing

/// The timeline the step loop fills for the trace, checked against what the stream delivered.
@Suite(.serialized) struct LlamaReplicaTimelineTests {
    /// A prompt longer than one step's token budget (256) runs in several prefill chunks; the
    /// per-iteration counts add up to the completion tokens the stream reported.
    @Test func chunksAndStepsAddUpToTheStream() async throws {
        let replica = try sharedReplica.get()
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 40)
        var requests = [greedyChat(long, maxTokens: 12), greedyChat("Name three colours.", maxTokens: 10)]
        let recorders = requests.indices.map { _ in TimelineRecorder() }
        for index in requests.indices { requests[index].timeline = recorders[index] }
        let results = try await withThrowingTaskGroup(of: (Int, Usage?).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, try await collect(replica.generate(request)).usage) }
            }
            var usages = [Usage?](repeating: nil, count: requests.count)
            for try await (index, usage) in group { usages[index] = usage }
            return usages
        }
        for (index, recorder) in recorders.enumerated() {
            let timeline = recorder.snapshot
            let usage = try #require(results[index])
            #expect(timeline.producedTokens == usage.completionTokens)
            let promptChunks = timeline.prefillChunks.prefix { !$0.producedToken } + timeline.prefillChunks.filter(\.producedToken).prefix(1)
            #expect(timeline.prefixCachedTokens + promptChunks.reduce(0) { $0 + $1.tokens } == usage.promptTokens)
            #expect(timeline.decode.batchSizeCounts.reduce(0, +) == timeline.decode.steps)
            #expect(timeline.decode.tokens <= timeline.decode.steps)
            let arrival = try #require(timeline.arrival)
            let admitted = try #require(timeline.admitted)
            let firstChunk = try #require(timeline.prefillChunks.first)
            let firstToken = try #require(timeline.firstToken)
            let finished = try #require(timeline.finished)
            #expect(arrival <= admitted && admitted <= firstChunk.start && firstToken <= finished)
            #expect(timeline.finishReason == "length" || timeline.finishReason == "stop")
            #expect(timeline.replica == replica.replicaName)
            // Every gap between consecutive tokens is kept, and they span first to last token.
            #expect(timeline.interTokenGaps.count == usage.completionTokens - 1)
            let lastToken = try #require(timeline.lastToken)
            #expect(timeline.interTokenGaps.reduce(.zero, +) == lastToken - firstToken)
            #expect(timeline.peakKVBlocks >= (usage.promptTokens + 15) / 16)
        }
        #expect(recorders[0].snapshot.prefillChunks.count >= 2, "the long prompt is chunked")
    }

    @Test func aCancelledStreamIsMarkedCancelled() async throws {
        let replica = try sharedReplica.get()
        var request = greedyChat("Write a long story about a lighthouse.", maxTokens: 200)
        let recorder = TimelineRecorder()
        request.timeline = recorder
        var received = 0
        for try await event in replica.generate(request) {
            if case .token = event { received += 1 }
            if received == 3 { break }
        }
        for _ in 0..<200 where recorder.snapshot.finished == nil { try await Task.sleep(for: .milliseconds(5)) }
        let timeline = recorder.snapshot
        #expect(timeline.cancelled)
        #expect(timeline.finishReason == "cancelled")
        #expect(timeline.producedTokens >= 3)
    }
}
