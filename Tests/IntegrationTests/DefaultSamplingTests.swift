import Foundation
import ReplicaRouting
import TestSupport
import Testing

/// A manifest's `default_sampling` applies over HTTP to requests that leave those fields out;
/// what a request states explicitly wins, field by field.
@Suite(.serialized) struct DefaultSamplingTests {
    @Test func manifestDefaultsFillOnlyTheFieldsARequestLeavesOut() async throws {
        let fixture = try await RegistryFixture()
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1", changes: ["default_sampling": ["temperature": 0, "top_k": 1]])
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")

        func complete(_ fields: String) async throws -> String {
            let body = #"{"model": "smollm2", "prompt": "Once upon a time", "max_tokens": 12, "#.appending(fields).appending("}")
            let result = try await ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "--max-time", "60", "http://127.0.0.1:\(fixture.apiPort)/v1/completions", "-H", "content-type: application/json", "-d", body])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
            let choices = try #require(object["choices"] as? [[String: Any]], "\(object)")
            return try #require(choices.first?["text"] as? String)
        }
        let greedy = try await complete(#""temperature": 0"#)
        #expect(!greedy.isEmpty)
        // Temperature left out: the manifest's 0 applies, whatever the seed.
        for seed in 1...3 {
            #expect(try await complete(#""seed": \#(seed)"#) == greedy, "seed \(seed)")
        }
        // An explicit temperature wins, but top_k left out still takes the manifest's 1.
        #expect(try await complete(#""temperature": 1.5, "seed": 7"#) == greedy)
        // Both explicit: sampling at 1.5 over the whole vocabulary leaves the greedy text.
        var sampled: [String] = []
        for seed in 1...4 { sampled.append(try await complete(#""temperature": 1.5, "top_k": 0, "seed": \#(seed)"#)) }
        #expect(sampled.contains { $0 != greedy }, "\(sampled)")
    }
}
