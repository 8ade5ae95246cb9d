import GatewayCore
import InferenceEngine
import Testing

/// With a fixed seed a request's tokens do not depend on what else runs: alone, or in one
/// batch with 15 others of different prompt lengths (so that its decode steps share a
/// forward pass with other decodes and with prompt chunks), greedy or sampled.
@Suite(.serialized) struct LlamaReplicaDeterminismTests {
    static func target(sampled: Bool) -> GenerationRequest {
        var request = greedyChat("Tell me a short story about a lighthouse keeper.", maxTokens: 24)
        // Admission is not under test: no 429 however slow the host.
        request.requestTimeout = .seconds(3_600)
        if sampled {
            request.sampling.temperature = 0.9
            request.sampling.topP = 0.95
            request.sampling.seed = 1234
        }
        return request
    }

    /// Companions: prompts from a few words to a few hundred tokens, greedy and sampled.
    static func companion(_ index: Int) -> GenerationRequest {
        let filler = String(repeating: "The river bends past the mill and the old stone bridge. ", count: index * 2)
        var request = greedyChat("\(filler)Question \(index): what comes next?", maxTokens: 12 + index)
        request.requestTimeout = .seconds(3_600)
        if index.isMultiple(of: 2) {
            request.sampling.temperature = 0.7
            request.sampling.seed = UInt64(index)
        }
        return request
    }

    @Test func tokensAreTheSameAloneAndBatchedWithFifteenOthers() async throws {
        let replica = try smallReplica(kvTokens: 8192, maxSequences: 16)
        let greedyAlone = try await collect(replica.generate(Self.target(sampled: false))).ids
        let sampledAlone = try await collect(replica.generate(Self.target(sampled: true))).ids
        #expect(greedyAlone.count == 24)
        #expect(sampledAlone.count == 24)
        #expect(greedyAlone != sampledAlone)

        let batched = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for index in 0..<14 {
                group.addTask { (index, try await collect(replica.generate(Self.companion(index))).ids) }
            }
            group.addTask { (100, try await collect(replica.generate(Self.target(sampled: false))).ids) }
            group.addTask { (101, try await collect(replica.generate(Self.target(sampled: true))).ids) }
            var results: [Int: [Int32]] = [:]
            for try await (index, ids) in group { results[index] = ids }
            return results
        }
        #expect(batched.count == 16)
        #expect(batched[100] == greedyAlone)
        #expect(batched[101] == sampledAlone)
        // The batch really ran together: the replica saw more than one sequence per step.
        let statistics = try await settledStatistics(of: replica)
        #expect(statistics.generatedTokens > statistics.steps)
        #expect(statistics.freeBlocks == statistics.totalBlocks)
    }
}
