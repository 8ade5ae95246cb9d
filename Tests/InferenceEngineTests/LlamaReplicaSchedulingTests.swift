import GatewayCore
import InferenceEngine
import Testing

/// A replica of its own with a small KV pool, so that a test's figures are its own.
func smallReplica(kvTokens: Int = 1024, maxSequences: Int = 16, maxQueuedTokens: Int = 1 << 20) throws -> LlamaReplica {
    var configuration = LlamaReplica.Configuration()
    configuration.kvTokens = kvTokens
    configuration.maxSequences = maxSequences
    configuration.maxQueuedTokens = maxQueuedTokens
    configuration.threads = 2
    return try LlamaReplica(manifest: ModelManifest.load(directory: smolLM2Directory), configuration: configuration)
}

/// Polls until the replica has nothing running or waiting (bounded), then returns its figures.
func settledStatistics(of replica: LlamaReplica) async throws -> ReplicaStatistics {
    var statistics = replica.statistics
    for _ in 0..<500 where statistics.usedBlocks != 0 || statistics.running != 0 || statistics.waiting != 0 {
        try await Task.sleep(for: .milliseconds(10))
        statistics = replica.statistics
    }
    return statistics
}

@Suite(.serialized) struct LlamaReplicaSchedulingTests {
    /// How one request of the leak test ended.
    enum Outcome: Sendable, Equatable {
        case finished(FinishReason?)
        case cancelled
        case refused(GenerationError.Code)
    }

    /// Completed, cancelled mid-stream, stopped by a stop sequence and over-length requests
    /// all at once through a pool too small for all of them: afterwards no block is
    /// referenced (cached prefix blocks may stay, unreferenced).
    @Test func mixedTrafficLeavesNoBlockReferenced() async throws {
        let replica = try smallReplica(kvTokens: 1024)
        let topics = ["the sea", "a mountain", "bread", "a robot", "the moon", "rain"]
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for index in 0..<60 {
                let topic = topics[index % topics.count]
                group.addTask {
                    let request: GenerationRequest
                    switch index % 4 {
                    case 0: request = greedyChat("Write one line about \(topic).", maxTokens: 6)
                    case 1: request = greedyChat("Write a long essay about \(topic).", maxTokens: 64)
                    case 2: request = greedyChat("Describe \(topic).", maxTokens: 12, stop: ["e"])
                    default: request = greedyChat("Tell me about \(topic).", maxTokens: 1_000_000)
                    }
                    do {
                        if index % 4 == 1 {
                            var received = 0
                            for try await event in replica.generate(request) {
                                if case .token = event { received += 1 }
                                if received == 2 { return .cancelled }
                            }
                            return .finished(nil)
                        }
                        return .finished(try await collect(replica.generate(request)).finish)
                    } catch let error as GenerationError {
                        return .refused(error.code)
                    }
                }
            }
            var outcomes: [Outcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.count == 60)
        #expect(outcomes.contains(.finished(.length)))
        #expect(outcomes.contains(.cancelled))
        #expect(!outcomes.contains(.refused(.internalFailure)))
        let statistics = try await settledStatistics(of: replica)
        #expect(statistics.usedBlocks == 0)
        #expect(statistics.running == 0)
        #expect(statistics.waiting == 0)
        #expect(statistics.cachedBlocks <= statistics.totalBlocks)
    }

    @Test func aSharedSystemPromptHitsThePrefixCache() async throws {
        let replica = try smallReplica(kvTokens: 2048)
        let system = String(
            repeating: "You are a careful assistant who answers briefly, politely and accurately. ", count: 8)
        func request(_ question: String) -> GenerationRequest {
            var sampling = SamplingParameters()
            sampling.temperature = 0
            return GenerationRequest(
                id: .random(),
                prompt: .chat([ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: question)]),
                sampling: sampling, maxTokens: 4)
        }
        _ = try await collect(replica.generate(request("What is rain?")))
        #expect(replica.statistics.prefixCacheHitRate == 0)
        _ = try await collect(replica.generate(request("What is snow?")))
        let statistics = try await settledStatistics(of: replica)
        #expect(statistics.prefixCacheHitRate > 0)
        #expect(statistics.usedBlocks == 0)
    }

    /// One sequence may run and the queue holds under two requests' demand, so a burst of
    /// four is refused in part with 429 and a Retry-After.
    @Test func aFullQueueAnswersOverloadedWithRetryAfter() async throws {
        let replica = try smallReplica(kvTokens: 1024, maxSequences: 1, maxQueuedTokens: 80)
        let streams = (0..<4).map { _ in replica.generate(greedyChat("Count to ten.", maxTokens: 32)) }
        var refusals: [GenerationError] = []
        for stream in streams {
            do {
                _ = try await collect(stream)
            } catch let error as GenerationError {
                refusals.append(error)
            }
        }
        let overloaded = refusals.filter { $0.code == .overloaded }
        #expect(!overloaded.isEmpty)
        #expect(overloaded.allSatisfy { ($0.retryAfterSeconds ?? 0) >= 1 })
        #expect(try await settledStatistics(of: replica).usedBlocks == 0)
    }
}
