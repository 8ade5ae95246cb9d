import GatewayCore
import InferenceEngine
import Testing

@testable import ReplicaRouting

extension ModelRegistryTests {
    /// Prefix affinity reads what each replica's cache holds, not what the router sent it:
    /// a prompt primed on replica 1 directly (the router never saw it) draws its follow-up
    /// there, and the request's timeline records the candidates, the choice and the reason.
    @Test func prefixAffinityRoutesByTheReplicasOwnCacheAndRecordsTheDecision() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.add(version: "1", golden: nil)
        let registry = try self.makeRegistry(fixture, FakeFactory([:])) { $0.defaultPolicy = .prefixAffinity(loadBound: 0.25) }
        try await registry.load(model: "smollm2", version: "1", actor: "test")
        let replicas = registry.loadedReplicas
        try #require(replicas.count == 2)
        let shared = "tenant seven system prompt says be brief and kind"
        for try await _ in replicas[1].generate(GenerationRequest(id: RequestID("prime"), prompt: .text(shared), maxTokens: 1)) {}

        let engine = try #require(registry.engine(for: "smollm2@1"))
        let timeline = TimelineRecorder()
        let request = GenerationRequest(
            id: RequestID("follow-up"), prompt: .text(shared + " what now"), maxTokens: 2, timeline: timeline)
        for try await _ in engine.generate(request) {}
        let decision = try #require(timeline.snapshot.routing)
        #expect(decision.candidates == ["smollm2@1#0", "smollm2@1#1"])
        #expect(decision.choice == "smollm2@1#1")
        #expect(decision.policy == "prefix-affinity")
        #expect(decision.reason.contains("longest cached prefix, 4 blocks"), "\(decision.reason)")
        #expect(decision.end >= decision.start)

        // A prompt no cache holds goes to the least loaded replica, and says so.
        let other = TimelineRecorder()
        for try await _ in engine.generate(GenerationRequest(id: RequestID("other"), prompt: .text("unrelated words here"), maxTokens: 1, timeline: other)) {}
        let fallback = try #require(other.snapshot.routing)
        #expect(fallback.choice == "smollm2@1#0")
        #expect(fallback.reason.hasPrefix("no cached prefix"), "\(fallback.reason)")
    }
}
