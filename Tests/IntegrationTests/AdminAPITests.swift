import Foundation
import ReplicaRouting
import TestSupport
import Testing

/// The admin API over the real model: refusals leave the registry as it was, a divergent
/// version is refused promotion with a report, an injected canary fault rolls back by itself.
@Suite(.serialized) struct AdminAPITests {
    @Test func badInputsAreRefusedAndLeaveTheStateUnchanged() async throws {
        let fixture = try await RegistryFixture()
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1")
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        try fixture.addVersion("2")
        try fixture.addVersion("3", changes: ["sha256": String(repeating: "ab", count: 32)])
        try fixture.addVersion("4", changes: ["weights": "absent.gguf"], linkWeights: false)
        let before = try await fixture.states()

        let cases: [(String, String, String?, String?, Int, String)] = [
            ("GET", "/admin/models", nil, nil, 401, "token"),
            ("GET", "/admin/models", nil, "wrong-token", 401, "token"),
            ("POST", "/admin/models/smollm2/2/promote", nil, "", 401, "token"),
            ("POST", "/admin/models/nosuch/1/load", nil, RegistryFixture.token, 404, "no model version nosuch@1"),
            ("POST", "/admin/models/smollm2/9/promote", nil, RegistryFixture.token, 404, "smollm2@9"),
            ("POST", "/admin/models/smollm2/../load", nil, RegistryFixture.token, 404, ""),
            ("POST", "/admin/models/smollm2/3/load", nil, RegistryFixture.token, 422, "sha256 mismatch"),
            ("POST", "/admin/models/smollm2/4/load", nil, RegistryFixture.token, 422, "is missing"),
            ("POST", "/admin/models/smollm2/1/canary", #"{"weight": 2}"#, RegistryFixture.token, 400, "weight"),
            ("POST", "/admin/models/smollm2/1/canary", "not json", RegistryFixture.token, 400, "JSON object"),
            ("POST", "/admin/models/smollm2/1/retire", nil, RegistryFixture.token, 409, "takes traffic"),
            ("POST", "/admin/models/smollm2/rollback", nil, RegistryFixture.token, 409, "no canary or promotion"),
        ]
        for (method, path, body, token, status, message) in cases {
            let (got, object) = try await fixture.admin(method, path, body: body, token: token)
            #expect(got == status, "\(method) \(path): \(got) \(object)")
            let error = (object["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.isEmpty || error.contains(message) || (status == 401 && error.contains("token")), "\(path): \(error)")
        }
        // A second swap while one is running is a conflict: version 2 loads (seconds), a
        // promotion arrives meanwhile.
        async let loading = fixture.admin("POST", "/admin/models/smollm2/2/load")
        try await Task.sleep(for: .milliseconds(150))
        let (conflict, object) = try await fixture.admin("POST", "/admin/models/smollm2/1/promote")
        #expect(conflict == 409, "\(object)")
        let loaded = try await loading
        #expect(loaded.0 == 200, "\(loaded.1)")
        var after = try await fixture.states()
        #expect(after.removeValue(forKey: "2") == "loaded 0")
        #expect(after == before)
        let refused = try fixture.registry.audit(model: "smollm2").filter { $0.outcome == "refused" }
        #expect(refused.count >= 6)
    }

    @Test func aDivergentVersionIsRefusedPromotionWithAReport() async throws {
        let fixture = try await RegistryFixture()
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1")
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        // The shipped manifest's golden prompts, with one token of the first changed.
        let shipped = try Data(contentsOf: URL(fileURLWithPath: RegistryFixture.realDirectory + "/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: shipped) as? [String: Any])
        var prompts = try #require(manifest["golden_prompts"] as? [[String: Any]])
        let name = try #require(prompts[0]["name"] as? String)
        var golden = try #require(prompts[0]["greedy_tokens"] as? [Int])
        golden[2] += 1
        prompts[0]["greedy_tokens"] = golden
        try fixture.addVersion("2", changes: ["golden_prompts": prompts])
        #expect(try await fixture.admin("POST", "/admin/models/smollm2/2/load").0 == 200)
        let (status, object) = try await fixture.admin("POST", "/admin/models/smollm2/2/validate")
        #expect(status == 422)
        let error = try #require(object["error"] as? [String: Any])
        let message = try #require(error["message"] as? String)
        #expect(message.contains("prompt '\(name)'") && message.contains("diverged at token 2: expected id \(golden[2])"), "\(message)")
        #expect(error["report"] is [String: Any])
        let (promote, refusal) = try await fixture.admin("POST", "/admin/models/smollm2/2/promote")
        #expect(promote == 422)
        #expect(((refusal["error"] as? [String: Any])?["message"] as? String)?.contains("diverged at token 2") == true)
        let states = try await fixture.states()
        #expect(states["1"] == "stable 1" && states["2"] == "refused 0", "\(states)")

        // Both versions' replicas are pinned through the one ledger the admin API reports,
        // and `switchyard models devices` prints it.
        let (devicesStatus, devices) = try await fixture.admin("GET", "/admin/devices")
        #expect(devicesStatus == 200)
        let placed = ((devices["placements"] as? [[String: Any]]) ?? []).compactMap { $0["replica"] as? String }
        #expect(Set(placed) == ["smollm2@1#0", "smollm2@2#0"], "\(placed)")
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try Data(RegistryFixture.token.utf8).write(to: tokenFile)
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        let printed = try await ProcessRunner.run(
            ServeCommandTests.binary,
            ["models", "devices", "--admin-url", "http://127.0.0.1:\(fixture.adminPort)", "--admin-token-file", tokenFile.path],
            timeoutSeconds: 60)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("1x2 × H200 SXM") && printed.stdout.contains("smollm2@2#0: smollm2:Q4_1"), "\(printed.stdout)")
    }

    @Test func anInjectedCanaryFaultRollsBackAutomatically() async throws {
        let fixture = try await RegistryFixture {
            $0.autoRollback.minimumRequests = 8
            $0.autoRollback.errorRateMargin = 0.2
        }
        defer { Task { await fixture.shutdown() } }
        try fixture.addVersion("1")
        try fixture.addVersion("2")
        try await fixture.registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        #expect(try await fixture.admin("POST", "/admin/models/smollm2/2/load").0 == 200)
        #expect(try await fixture.admin("POST", "/admin/models/smollm2/2/validate").0 == 200)
        #expect(try await fixture.admin("POST", "/admin/models/smollm2/2/canary", body: #"{"weight": 0.5}"#).0 == 200)
        #expect(try await fixture.admin("POST", "/admin/models/smollm2/2/faults", body: #"{"rate": 1}"#).0 == 200)
        var statuses: [String: Int] = [:]
        for _ in 0..<60 {
            let result = try await ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(fixture.apiPort)/v1/completions",
                 "-H", "content-type: application/json", "-d", #"{"model": "smollm2", "prompt": "Hi", "max_tokens": 1}"#])
            statuses[result.stdout, default: 0] += 1
            if try await fixture.states()["2"]?.hasPrefix("canary") == false { break }
        }
        #expect(statuses["200", default: 0] > 0 && statuses.keys.contains { $0 != "200" }, "\(statuses)")
        let states = try await fixture.states()
        #expect(states["1"] == "stable 1" && states["2"] == "ready 0", "\(states)")
        let (_, audit) = try await fixture.admin("GET", "/admin/audit?model=smollm2")
        let records = try #require(audit["records"] as? [[String: Any]])
        let rollback = try #require(records.last { $0["action"] as? String == "auto-rollback" })
        #expect(rollback["actor"] as? String == "auto-rollback")
        #expect((rollback["detail"] as? String)?.contains("error rate") == true)
    }
}
