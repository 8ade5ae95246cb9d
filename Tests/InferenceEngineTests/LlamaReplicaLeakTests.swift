import GatewayCore
import InferenceEngine
import Testing

@Suite(.serialized) struct LlamaReplicaLeakTests {
    /// How one request of the leak test ended.
    enum Outcome: Sendable, Hashable {
        case finished(FinishReason?)
        case cancelled
        case refused(GenerationError.Code)
    }

    /// One request of the mix: short text prompts and one or two tokens, so that a thousand
    /// of them run in seconds; the kinds are completed, cancelled after its first token,
    /// cut by a stop sequence, larger than the whole pool (400), and seeded sampling.
    static func request(_ index: Int) -> (GenerationRequest, cancelAfterFirstToken: Bool) {
        var sampling = SamplingParameters()
        sampling.temperature = 0
        let prompt = Prompt.text("Note \(index % 97): the")
        switch index % 5 {
        case 0:
            return (GenerationRequest(id: .random(), prompt: prompt, sampling: sampling, maxTokens: 1), false)
        case 1:
            return (GenerationRequest(id: .random(), prompt: prompt, sampling: sampling, maxTokens: 32), true)
        case 2:
            // Any space or letter e ends it: the model writes one within a few tokens.
            return (
                GenerationRequest(
                    id: .random(), prompt: .text("The colour of the sky is"), sampling: sampling, maxTokens: 4,
                    stopSequences: [" ", "e"]),
                false
            )
        case 3:
            return (GenerationRequest(id: .random(), prompt: prompt, sampling: sampling, maxTokens: 1_000_000), false)
        default:
            sampling.temperature = 0.8
            sampling.topP = 0.9
            sampling.seed = UInt64(index)
            return (GenerationRequest(id: .random(), prompt: prompt, sampling: sampling, maxTokens: 1), false)
        }
    }

    static func run(_ index: Int, on replica: LlamaReplica) async -> Outcome {
        var (request, cancels) = Self.request(index)
        // The test is about block accounting, not admission: on a loaded host the measured
        // drain rate would refuse part of the queue with 429 at the default 30 s.
        request.requestTimeout = .seconds(3_600)
        do {
            if cancels {
                for try await event in replica.generate(request) {
                    if case .token = event { return .cancelled }
                }
                return .finished(nil)
            }
            return .finished(try await collect(replica.generate(request)).finish)
        } catch let error as GenerationError {
            return .refused(error.code)
        } catch {
            return .refused(.internalFailure)
        }
    }

    /// 1,000 mixed requests, at most 64 in flight, through a pool of 64 blocks: afterwards
    /// the free block count is back at the pool's size and nothing is running or waiting.
    @Test func aThousandMixedRequestsGiveEveryBlockBack() async throws {
        let replica = try smallReplica(kvTokens: 1024, maxSequences: 32)
        let initial = replica.statistics
        #expect(initial.freeBlocks == initial.totalBlocks)
        let total = 1_000
        let window = 64
        let counts = await withTaskGroup(of: Outcome.self) { group in
            var counts: [Outcome: Int] = [:]
            var next = 0
            while next < min(window, total) {
                let index = next
                group.addTask { await Self.run(index, on: replica) }
                next += 1
            }
            while let outcome = await group.next() {
                counts[outcome, default: 0] += 1
                if next < total {
                    let index = next
                    group.addTask { await Self.run(index, on: replica) }
                    next += 1
                }
            }
            return counts
        }
        #expect(counts.values.reduce(0, +) == total)
        #expect(counts[.refused(.promptTooLong)] == total / 5, "\(counts)")
        #expect(counts[.cancelled] == total / 5, "\(counts)")
        #expect((counts[.finished(.stop)] ?? 0) >= total / 5, "\(counts)")
        #expect((counts[.finished(.length)] ?? 0) > 0, "\(counts)")
        #expect(counts[.refused(.internalFailure)] == nil, "\(counts)")
        let statistics = try await settledStatistics(of: replica)
        #expect(statistics.freeBlocks == initial.freeBlocks)
        #expect(statistics.usedBlocks == 0)
        #expect(statistics.running == 0)
        #expect(statistics.waiting == 0)
        #expect(statistics.queuedTokens == 0)
    }
}
