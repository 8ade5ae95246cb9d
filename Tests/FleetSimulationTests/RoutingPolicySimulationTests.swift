import DeviceSimulation
import FleetSimulation
import Foundation
import ReplicaRouting
import Testing

/// `simulate` routes with ReplicaRouting's own policies: on a multi-tenant shared-prefix trace,
/// prefix affinity keeps each tenant on the replica that caches its prefix.
@Suite struct RoutingPolicySimulationTests {
    /// 8 tenants, each with a 2,048-token shared prefix, 30 requests each, interleaved and
    /// arriving faster than they finish, so load-based routing spreads every tenant.
    static func tenantTrace() throws -> Workload {
        var lines: [String] = []
        for index in 0..<240 {
            lines.append(
                #"{"arrival_s": \#(Double(index) * 0.002), "input_tokens": 2064, "output_tokens": 64, "prefix_id": "tenant\#(index % 8)"}"#)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString).jsonl")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try Workload.parse(file.path)
    }

    static func hitRate(_ policy: RoutingPolicy, workload: Workload) throws -> Double {
        var setup = SimulationSetup(
            fleet: try FleetShape(parsing: "1x4"), profile: try ModelCatalog.standard.profile(named: "llama-3.1-8b", weights: .fp8, kv: .fp8))
        setup.routingPolicy = policy
        let result = try FleetSimulator(setup: setup).run(workload)
        #expect(result.outputTokens.allSatisfy { $0 == 64 }, "\(policy): every request completes")
        return Double(result.prefixCacheHits) / Double(max(result.prefixCacheQueries, 1))
    }

    @Test func prefixAffinityHitsTheCacheMoreThanLeastOutstandingTokens() throws {
        let workload = try Self.tenantTrace()
        let affinity = try Self.hitRate(.prefixAffinity(loadBound: RoutingPolicy.defaultLoadBound), workload: workload)
        let least = try Self.hitRate(.leastOutstandingTokens, workload: workload)
        let twoChoices = try Self.hitRate(.powerOfTwoChoices, workload: workload)
        print("simulated prefix-cache hit rate: prefix affinity \(affinity), least outstanding tokens \(least), power of two \(twoChoices)")
        #expect(affinity > least)
    }
}
