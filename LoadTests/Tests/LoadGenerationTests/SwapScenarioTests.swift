import Foundation
import TestSupport
import Testing

/// The swap-under-load scenario as `make loadtest SCENARIO=swap-under-load` runs it: a real
/// `switchyard serve` on 127.0.0.1 with the real SmolLM2 model, a two-version repository made
/// by run-scenario.sh, and switchyard-load driving the admin API through a whole swap while 4
/// streams run for 30 s.
@Suite("swap-under-load scenario", .serialized)
struct SwapScenarioTests {
    static let weights = ProcessRunner.packageRoot.appendingPathComponent("Models/smollm2/1/SmolLM2-135M-Instruct.Q4_1.gguf").path

    @Test("no failed or truncated response, every action answered, every version one in force")
    func swapUnderLoad() async throws {
        let binaries = URL(fileURLWithPath: ProcessRunner.builtProduct("switchyard")).deletingLastPathComponent().path
        try #require(FileManager.default.isExecutableFile(atPath: binaries + "/switchyard"), "build the switchyard product first")
        try #require(FileManager.default.isExecutableFile(atPath: binaries + "/switchyard-load"), "build switchyard-load first")
        try #require(FileManager.default.fileExists(atPath: Self.weights), "the SmolLM2 weights are required (make model)")
        let out = ProcessRunner.temporaryFile("loadtest")
        defer { try? FileManager.default.removeItem(at: out) }

        let script = ProcessRunner.packageRoot.appendingPathComponent("LoadTests/run-scenario.sh").path
        let result = try await ProcessRunner.run(
            "/usr/bin/env", ["SWITCHYARD_BIN_DIR=\(binaries)", "LOADTEST_OUT=\(out.path)", script, "swap-under-load", "--quiet"],
            timeoutSeconds: 300)
        let serveLog = (try? String(contentsOf: out.appendingPathComponent("swap-under-load.serve.log"), encoding: .utf8)) ?? ""
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(serveLog.suffix(2000))")
        #expect(result.stdout.contains("0 responses from a version not in force"), "\(result.stdout)")

        let data = try Data(contentsOf: out.appendingPathComponent("swap-under-load.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["failed"] as? Int == 0, "\(summary["errorsByKind"] ?? "")")
        #expect((summary["succeeded"] as? Int ?? 0) >= 20)
        // Both versions served: version 1 before and during the canary, version 2 from the canary on.
        let served = summary["servedVersions"] as? [String: Int] ?? [:]
        #expect(Set(served.keys) == ["smollm2@1", "smollm2@2"], "\(served)")

        let admin = try #require(report["admin"] as? [String: Any])
        #expect(admin["inForceAtStart"] as? [String] == ["smollm2@1"])
        #expect((admin["violations"] as? [Any])?.isEmpty == true, "\(admin["violations"] ?? "")")
        let actions = try #require(admin["actions"] as? [[String: Any]])
        let kinds = actions.compactMap { ($0["action"] as? [String: Any])?["kind"] as? String }
        #expect(kinds == ["load", "validate", "canary", "promote", "retire"])
        #expect(actions.allSatisfy { $0["status"] as? Int == 200 }, "\(actions)")
        #expect(actions.last?["inForceAfter"] as? [String] == ["smollm2@2"])
        // Each request's record names the version that served it.
        let records = try #require(report["records"] as? [[String: Any]])
        #expect(records.allSatisfy { ($0["servedModel"] as? String)?.hasPrefix("smollm2@") == true })

        let html = try String(contentsOf: out.appendingPathComponent("swap-under-load.html"), encoding: .utf8)
        #expect(html.contains("id=\"admin\"") && html.contains("promote smollm2@2"))
    }
}
