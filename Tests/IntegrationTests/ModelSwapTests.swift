import DeviceSimulation
import Foundation
import ReplicaRouting
import TestSupport
import Testing

/// Hot swap under live traffic with the real model: version 2 (the same GGUF under a second
/// manifest) is loaded, validated, canaried, promoted, and version 1 retired while 16
/// streaming clients run for 60 seconds.
@Suite(.serialized) struct ModelSwapTests {
    @Test func sixteenStreamingClientsSeeNoFailureThroughAWholeSwap() async throws {
        let fixture = try await RegistryFixture { $0.autoRollback.enabled = false }
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1")
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        // Version 2 validates against the shipped manifest's golden prompts.
        try fixture.addVersion("2")

        let load = Task {
            try await ProcessRunner.run(
                ProcessRunner.python, [ProcessRunner.script("swap_load.py"), "\(fixture.apiPort)", "16", "60", "smollm2"],
                timeoutSeconds: 240)
        }
        var marks: [String: Double] = [:]
        func step(_ name: String, _ method: String, _ path: String, body: String? = nil) async throws {
            let (status, object) = try await fixture.admin(method, path, body: body)
            #expect(status == 200, "\(name): \(status) \(object)")
            marks[name] = Date().timeIntervalSince1970
        }
        try await Task.sleep(for: .seconds(5))
        try await step("load", "POST", "/admin/models/smollm2/2/load", body: #"{"replicas": 1}"#)
        try await step("validate", "POST", "/admin/models/smollm2/2/validate")
        let canaryStart = Date().timeIntervalSince1970
        try await step("canary", "POST", "/admin/models/smollm2/2/canary", body: #"{"weight": 0.1}"#)
        try await Task.sleep(for: .seconds(10))
        let promoteStart = Date().timeIntervalSince1970
        try await step("promote", "POST", "/admin/models/smollm2/2/promote")
        try await Task.sleep(for: .seconds(3))
        try await step("retire", "POST", "/admin/models/smollm2/1/retire")

        let result = try await load.value
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let requests = try #require(object["requests"] as? [[String: Any]])
        #expect(requests.count > 50)
        let failed = requests.filter { ($0["status"] as? Int) != 200 || !($0["error"] is NSNull) }
        let truncated = requests.filter { !($0["finished"] as? Bool ?? false) || !($0["done"] as? Bool ?? false) }
        #expect(failed.isEmpty, "failed: \(failed.prefix(3))")
        #expect(truncated.isEmpty, "truncated: \(truncated.prefix(3))")
        // Each response names one version, consistently, and the weights in force at its arrival.
        var served: [String: Int] = [:]
        for request in requests {
            let version = request["version"] as? String ?? "?"
            served[version, default: 0] += 1
            #expect(request["models"] as? [String] == ["smollm2@\(version)"], "\(request)")
            let start = request["start"] as? Double ?? 0
            if start < canaryStart { #expect(version == "1", "\(request)") }
            if start > (marks["promote"] ?? .infinity) { #expect(version == "2", "\(request)") }
        }
        #expect(served["2", default: 0] > 0 && served["1", default: 0] > 0, "\(served)")
        print("swap: \(requests.count) streaming requests, by version \(served), \(failed.count) failed, \(truncated.count) truncated")
        #expect(requests.contains { ($0["start"] as? Double ?? 0) > promoteStart })

        // Version 1 drained and unloaded: its replica held no KV blocks, its device memory is free.
        let retire = try fixture.registry.audit(model: "smollm2").last { $0.action == "retire" }
        #expect(retire?.outcome == "ok")
        #expect(retire?.detail.contains("0 request(s) still in flight; 0 KV block(s) in use") == true, "\(retire?.detail ?? "")")
        let placements = fixture.registry.deviceReport()?.placements.map(\.replica) ?? []
        #expect(!placements.contains { $0.hasPrefix("smollm2@1#") }, "\(placements)")
        #expect(placements.contains { $0.hasPrefix("smollm2@2#") }, "\(placements)")
        let states = try await fixture.states()
        #expect(states["1"]?.hasPrefix("retired") == true && states["2"] == "stable 1", "\(states)")
        // Version 2's pool is empty once its last streams end.
        try await Task.sleep(for: .milliseconds(500))
        let v2 = try #require(fixture.registry.list().first { $0.version == "2" })
        #expect(v2.replicas.allSatisfy { $0.usedBlocks == 0 && $0.running == 0 && $0.waiting == 0 }, "\(v2.replicas)")
    }
}
