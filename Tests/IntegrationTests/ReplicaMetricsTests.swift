import Foundation
import GatewayAPI
import GatewayTelemetry
import InferenceEngine
import ReplicaRouting
import TestSupport
import Testing

/// Replicas of one version are told apart: the factory names each by the registry's id, and
/// the per-replica gauges carry that name.
@Suite struct ReplicaMetricsTests {
    @Test func replicasOfOneVersionHaveTheirOwnMetricLabels() throws {
        let manifest = try ModelManifest.load(
            directory: ProcessRunner.packageRoot.appendingPathComponent("Models/smollm2/1").path)
        var configuration = LlamaReplica.Configuration()
        configuration.kvTokens = 1024
        let factory = LlamaReplicaFactory(configuration: configuration, threadsPerReplica: 1)
        let replicas = try (0..<2).map { index in
            try #require(
                try factory.makeReplica(manifest: manifest, index: index, id: "smollm2@1#\(index)") as? LlamaReplica)
        }
        #expect(replicas.map(\.replicaName) == ["smollm2@1#0", "smollm2@1#1"])
        let metrics = GatewayMetrics()
        metrics.update(replicas: replicas.map(ReplicaLoad.init(replica:)), devices: [])
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        for name in ["smollm2@1#0", "smollm2@1#1"] {
            #expect(text.contains(#"switchyard_running_sequences{replica="\#(name)"} 0"#), "\(text)")
            #expect(text.contains(#"switchyard_kv_cache_usage_ratio{replica="\#(name)"}"#))
        }
    }
}
