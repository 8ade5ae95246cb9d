import GatewayCore
import InferenceEngine
import Testing

/// A request's timeout (or the replica's default) is how long it may wait to start: one that
/// cannot be expected to start in time is refused at once with 429 and a Retry-After.
@Suite(.serialized) struct LlamaReplicaDeadlineTests {
    /// Refusals of `probe` while one sequence runs and two more wait behind it.
    func refusal(
        of probe: GenerationRequest, defaultTimeout: Duration = .seconds(30)
    ) async throws -> GenerationError? {
        var configuration = LlamaReplica.Configuration()
        configuration.kvTokens = 1024
        configuration.maxSequences = 1
        configuration.threads = 2
        configuration.defaultRequestTimeout = defaultTimeout
        let replica = try LlamaReplica(manifest: ModelManifest.load(directory: smolLM2Directory), configuration: configuration)
        // Hundreds of tokens of demand queue behind the one that runs: at any measured drain
        // rate that is far more than a millisecond of work.
        let queued = (0..<3).map { _ in replica.generate(greedyChat("Count to one hundred.", maxTokens: 200)) }
        let drain = Task {
            for stream in queued {
                for try await _ in stream {}
            }
        }
        let clock = ContinuousClock()
        let started = clock.now
        let probeStream = replica.generate(probe)
        // The queue has done its part (the probe's admission is decided at submit time);
        // cancelling it lets an accepted probe run at once. The drain is awaited only after
        // the probe: it ends with the step running now, which on a loaded host takes seconds.
        drain.cancel()
        var refusal: GenerationError?
        do {
            _ = try await collect(probeStream)
        } catch let error as GenerationError {
            refusal = error
            // Refused at submit time, not after waiting.
            #expect(clock.now - started < .seconds(5))
        }
        _ = await drain.result
        #expect(try await settledStatistics(of: replica).usedBlocks == 0)
        return refusal
    }

    @Test func aShortRequestTimeoutIsRefusedWith429() async throws {
        var probe = greedyChat("Say hi.", maxTokens: 4)
        probe.requestTimeout = .milliseconds(1)
        let refusal = try #require(try await self.refusal(of: probe))
        #expect(refusal.code == .overloaded)
        #expect((refusal.retryAfterSeconds ?? 0) >= 1)
    }

    @Test func theReplicaDefaultAppliesWhenTheRequestNamesNone() async throws {
        let refusal = try #require(
            try await self.refusal(of: greedyChat("Say hi.", maxTokens: 4), defaultTimeout: .milliseconds(1)))
        #expect(refusal.code == .overloaded)
    }

    @Test func aLongEnoughTimeoutIsAccepted() async throws {
        var probe = greedyChat("Say hi.", maxTokens: 4)
        probe.requestTimeout = .seconds(600)
        #expect(try await self.refusal(of: probe) == nil)
    }
}
