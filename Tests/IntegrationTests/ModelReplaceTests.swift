import DeviceSimulation
import Foundation
import ReplicaRouting
import TestSupport
import Testing

/// A second version on devices too small for both: it replaces the first version's replicas
/// one at a time under live traffic (each drained, unloaded, its place taken by a validated
/// new replica), rollback still works, and retiring the old version loads the replica the
/// new one was short.
@Suite(.serialized) struct ModelReplaceTests {
    /// Two devices that hold one SmolLM2 replica each: a pinned replica takes about 1.3 GB
    /// (the 1 GiB workspace, ~100 MB of weights, its KV under the fixture's 64 MiB host cap,
    /// activations), and each device may commit 1.98 GB.
    static func fleetOfTwoReplicas() throws -> Fleet {
        var device = DeviceSpec.h200SXM
        device.memoryBytes = 2_200_000_000
        return Fleet(device: device, shape: FleetShape(nodes: 1, devicesPerNode: 2))
    }

    @Test func aVersionReplacesTheOldOneReplicaByReplicaUnderLiveTraffic() async throws {
        let fixture = try await RegistryFixture(fleet: try Self.fleetOfTwoReplicas()) { $0.autoRollback.enabled = false }
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1", changes: ["replicas": 2])
        try fixture.addVersion("2", changes: ["replicas": 2])
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        func replicas() -> [String: Int] {
            Dictionary(uniqueKeysWithValues: fixture.registry.list().map { ($0.version, $0.replicas.count) })
        }
        #expect(replicas() == ["1": 2])

        let load = Task {
            try await ProcessRunner.run(
                ProcessRunner.python, [ProcessRunner.script("swap_load.py"), "\(fixture.apiPort)", "4", "40", "smollm2"],
                timeoutSeconds: 200)
        }
        func step(_ method: String, _ path: String, body: String? = nil) async throws {
            let (status, object) = try await fixture.admin(method, path, body: body)
            #expect(status == 200, "\(path): \(status) \(object)")
        }
        try await Task.sleep(for: .seconds(3))
        try await step("POST", "/admin/models/smollm2/2/load")
        // One replica of version 1 gave its device to version 2; the other kept serving.
        #expect(replicas() == ["1": 1, "2": 1])
        let (_, listing) = try await fixture.admin("GET", "/admin/models")
        let listed = (listing["versions"] as? [[String: Any]] ?? []).first { $0["version"] as? String == "2" }
        #expect(listed?["desired_replicas"] as? Int == 2, "\(listing)")
        try await step("POST", "/admin/models/smollm2/2/validate")
        try await step("POST", "/admin/models/smollm2/2/canary", body: #"{"weight": 0.5}"#)
        try await Task.sleep(for: .seconds(3))
        try await step("POST", "/admin/models/smollm2/rollback")
        #expect(try await fixture.states() == ["1": "stable 1", "2": "ready 0"])
        try await Task.sleep(for: .seconds(2))
        try await step("POST", "/admin/models/smollm2/2/promote")
        try await Task.sleep(for: .seconds(3))
        try await step("POST", "/admin/models/smollm2/1/retire")
        // Version 1's memory went to the replica version 2 lacked.
        #expect(replicas() == ["1": 0, "2": 2])

        let result = try await load.value
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let requests = try #require(object["requests"] as? [[String: Any]])
        let failed = requests.filter { ($0["status"] as? Int) != 200 || !($0["error"] is NSNull) }
        let truncated = requests.filter { !($0["finished"] as? Bool ?? false) || !($0["done"] as? Bool ?? false) }
        var served: [String: Int] = [:]
        for request in requests { served[request["version"] as? String ?? "?", default: 0] += 1 }
        print("replace: \(requests.count) streaming requests, by version \(served), \(failed.count) failed, \(truncated.count) truncated")
        #expect(requests.count > 10)
        #expect(failed.isEmpty, "failed: \(failed.prefix(3))")
        #expect(truncated.isEmpty, "truncated: \(truncated.prefix(3))")
        #expect(served["1", default: 0] > 0 && served["2", default: 0] > 0, "\(served)")

        let audit = try fixture.registry.audit(model: "smollm2")
        let replaced = try #require(audit.first { $0.action == "replace-replica" })
        #expect(replaced.outcome == "ok" && replaced.detail.contains("smollm2@1#1 drained and unloaded for smollm2@2#0"), "\(replaced.detail)")
        #expect(replaced.detail.contains("0 request(s) still in flight"), "\(replaced.detail)")
        #expect(audit.contains { $0.action == "refill" && $0.outcome == "ok" && $0.detail.contains("smollm2@2#1") })
        let placements = Set(fixture.registry.deviceReport()?.placements.map(\.replica) ?? [])
        #expect(placements == ["smollm2@2#0", "smollm2@2#1"])
    }

    @Test func withNoReplicaToSpareTheLoadIsRefusedAndNothingChanges() async throws {
        let fixture = try await RegistryFixture(fleet: try Self.fleetOfTwoReplicas())
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1", changes: ["replicas": 2])
        try fixture.addVersion("2", changes: ["replicas": 1])
        try fixture.addVersion("3", changes: ["replicas": 1])
        try await fixture.registry.load(model: "smollm2", version: "1", replicas: 1, actor: "test")
        try await fixture.registry.load(model: "smollm2", version: "2", actor: "test")
        let before = try await fixture.states()
        let (status, object) = try await fixture.admin("POST", "/admin/models/smollm2/3/load")
        #expect(status == 507, "\(object)")
        let message = (object["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("no other version of smollm2 has a replica to spare"), "\(message)")
        #expect(try await fixture.states() == before)
        #expect(Set(fixture.registry.deviceReport()?.placements.map(\.replica) ?? []) == ["smollm2@1#0", "smollm2@2#0"])
    }
}
