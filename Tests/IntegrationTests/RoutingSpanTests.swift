import Foundation
import ReplicaRouting
import TestSupport
import Testing

/// The trace's routing span is the registry's decision: the replicas considered, the one
/// chosen and the policy's reason (prefix affinity on the replicas' own caches, real model).
@Suite(.serialized) struct RoutingSpanTests {
    @Test func theRoutingSpanShowsCandidatesChoiceAndReason() async throws {
        let fixture = try await RegistryFixture { $0.defaultPolicy = .prefixAffinity(loadBound: RoutingPolicy.defaultLoadBound) }
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1", changes: ["replicas": 2])
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        let system = "You are the support assistant of a shop that sells bicycles, helmets, locks and lights. Answer briefly."
        func routing(_ requestID: String, _ question: String) async throws -> [String: Any] {
            let body = #"{"model": "smollm2", "prompt": "\#(system) \#(question)", "max_tokens": 2, "temperature": 0}"#
            let sent = try await ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(fixture.apiPort)/v1/completions",
                 "-H", "content-type: application/json", "-H", "x-request-id: \(requestID)", "-d", body])
            #expect(sent.stdout == "200")
            let answer = try await ProcessRunner.run(
                "/usr/bin/curl", ["-sS", "--max-time", "30", "http://127.0.0.1:\(fixture.apiPort)/v1/traces/\(requestID)"])
            let trace = try #require(try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any], "\(answer.stdout)")
            let spans = try #require(trace["spans"] as? [[String: Any]])
            let span = try #require(spans.first { $0["name"] as? String == "routing" }, "\(spans)")
            return try #require(span["attributes"] as? [String: Any])
        }
        let first = try await routing("route-1", "Which lock is best?")
        #expect(first["routing.candidates"] as? String == "smollm2@1#0,smollm2@1#1")
        #expect(first["routing.policy"] as? String == "prefix-affinity")
        // The golden prompts ran on both replicas; none shares this prompt's first block.
        #expect((first["routing.reason"] as? String)?.hasPrefix("no cached prefix") == true, "\(first)")
        let chosen = try #require(first["routing.choice"] as? String)
        let second = try await routing("route-2", "Do you sell lights?")
        #expect(second["routing.choice"] as? String == chosen, "\(second)")
        #expect((second["routing.reason"] as? String)?.contains("longest cached prefix") == true, "\(second)")
    }
}
