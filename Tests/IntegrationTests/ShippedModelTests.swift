import Foundation
import InferenceEngine
import ReplicaRouting
import TestSupport
import Testing

/// The shipped version's manifest carries golden prompts (exact greedy tokens and recorded
/// top log-probabilities), and the real model reproduces them through the registry's own
/// `validate`, as `switchyard models validate smollm2 1` runs it. A copy with one golden
/// token changed is refused: `AdminAPITests.aDivergentVersionIsRefusedPromotionWithAReport`.
@Suite struct ShippedModelTests {
    static let root = ProcessRunner.packageRoot.appendingPathComponent("Models").path

    @Test func theShippedVersionPassesItsGoldenPrompts() async throws {
        let manifest = try ModelManifest.load(directory: Self.root + "/smollm2/1")
        let golden = try #require(manifest.goldenPrompts)
        #expect(golden.count >= 2)
        for prompt in golden {
            #expect((prompt.greedyTokens?.count ?? 0) >= 4, "\(prompt.name)")
            #expect(prompt.topLogprobs?.count == prompt.greedyTokens?.count, "\(prompt.name)")
            #expect(prompt.klBound != nil, "\(prompt.name)")
        }
        var configuration = LlamaReplica.Configuration()
        configuration.kvTokens = 4096
        let registry = ModelRegistry(
            repository: ModelRepository(root: Self.root), store: try RegistryStore(path: nil),
            factory: LlamaReplicaFactory(configuration: configuration, threadsPerReplica: 2))
        try await registry.load(model: "smollm2", version: "1", replicas: 1, actor: "test")
        let report = try await registry.validate(model: "smollm2", version: "1", actor: "test")
        #expect(report.passed, "\(report.summary)")
        #expect(report.results.map(\.prompt) == golden.map(\.name))
        #expect(report.results.allSatisfy { $0.passed && $0.detail == "matched" }, "\(report.results)")
    }
}
