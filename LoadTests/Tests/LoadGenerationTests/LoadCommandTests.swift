import Foundation
import LoadGeneration
import TestSupport
import Testing

/// The `switchyard-load` binary end to end against a real server.
@Suite("switchyard-load command")
struct LoadCommandTests {
    static var binary: String { ProcessRunner.builtProduct("switchyard-load") }

    @Test("exact counts in the JSON report; the table and the HTML file are written")
    func reportsAreWritten() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the switchyard-load product first")
        let json = ProcessRunner.temporaryFile("report.json")
        let html = ProcessRunner.temporaryFile("report.html")
        defer {
            try? FileManager.default.removeItem(at: json)
            try? FileManager.default.removeItem(at: html)
        }
        try await EchoServer.with { port in
            let result = try await ProcessRunner.run(Self.binary, [
                "--port", String(port), "--requests", "120", "--concurrency", "6", "--connections", "2",
                "--input-len", "uniform:4-12", "--output-len", "fixed:8", "--slo", "ttft=500ms,tpot=50ms",
                "--json", json.path, "--html", html.path, "--quiet", "--max-failed", "0",
            ])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("requests   120 (120 ok, 0 failed)"))
            #expect(result.stdout.contains("TTFT") && result.stdout.contains("goodput"))
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        let records = try #require(object["records"] as? [[String: Any]])
        #expect(summary["requests"] as? Int == 120)
        #expect(summary["succeeded"] as? Int == 120)
        #expect(records.count == 120)
        // Echo answers min(prompt words, max_tokens): every prompt has 4...12 words, max 8.
        let tokens = records.compactMap { $0["outputTokens"] as? Int }
        #expect(tokens.count == 120 && tokens.allSatisfy { (4...8).contains($0) })
        #expect(try String(contentsOf: html, encoding: .utf8).contains("<svg"))
    }

    @Test("--expect counts a deliberately wrong expectation and fails the check")
    func expectCatchesAMismatch() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the switchyard-load product first")
        let golden = ProcessRunner.temporaryFile("golden.jsonl")
        let wrong = ProcessRunner.temporaryFile("wrong.jsonl")
        defer {
            try? FileManager.default.removeItem(at: golden)
            try? FileManager.default.removeItem(at: wrong)
        }
        try await EchoServer.with { port in
            let common = ["--port", String(port), "--requests", "10", "--concurrency", "2", "--quiet"]
            let record = try await ProcessRunner.run(Self.binary, common + ["--write-expect", golden.path])
            try #require(record.status == 0, "\(record.stderr)")

            let same = try await ProcessRunner.run(Self.binary, common + ["--expect", golden.path, "--max-mismatches", "0"])
            #expect(same.status == 0, "\(same.stdout)")
            #expect(same.stdout.contains("0 of 10 responses differ"))

            // One expected answer changed by a single word.
            var lines = try String(contentsOf: golden, encoding: .utf8).split(separator: "\n").map(String.init)
            try #require(lines.count == 10)
            var object = try #require(try JSONSerialization.jsonObject(with: Data(lines[3].utf8)) as? [String: Any])
            object["text"] = ((object["text"] as? String) ?? "") + " extra"
            lines[3] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: wrong)

            let differ = try await ProcessRunner.run(Self.binary, common + ["--expect", wrong.path, "--max-mismatches", "0"])
            #expect(differ.status == 1, "\(differ.stdout)")
            #expect(differ.stdout.contains("1 of 10 responses differ"))
            #expect(differ.stdout.contains("check failed"))
        }
    }

    @Test("bad input is one line and exit status 2; remote hosts need --allow-remote")
    func badInput() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the switchyard-load product first")
        let scenario = ProcessRunner.temporaryFile("scenario.json")
        let token = ProcessRunner.temporaryFile("admin-token")
        defer {
            try? FileManager.default.removeItem(at: scenario)
            try? FileManager.default.removeItem(at: token)
        }
        try Data(#"{"arguments": [], "actions": [{"at_s": "soon", "action": "load", "model": "smollm2"}]}"#.utf8).write(to: scenario)
        try Data("test-token\n".utf8).write(to: token)
        let cases: [([String], String)] = [
            (["--host", "192.0.2.7"], "--allow-remote"),
            (["--input-len", "uniform:9-3"], "--input-len"),
            (["--slo", "ttft=fast"], "--slo"),
            (["--rate", "5", "--concurrency", "2"], "choose one"),
            (["--duration=-1s"], "--duration"),
            (["--dataset", "/nonexistent/prompts.jsonl"], "cannot read"),
            (["--scenario", "/nonexistent/scenario.json"], "cannot read"),
            (["--tls-insecure"], "--tls"),
            (["--admin-action", "5s upgrade smollm2@2"], "unknown action 'upgrade'"),
            (["--admin-action", "5s load smollm2@2"], "--admin-port"),
            (["--admin-action", "70s load smollm2@2", "--admin-port", "9", "--duration", "60s"], "due after"),
            (["--scenario", scenario.path], "action 1: \"at_s\""),
            // Nothing listens on port 1: the run stops before any load.
            (["--admin-action", "5s load smollm2@2", "--admin-port", "1", "--admin-token-file", token.path], "admin API at 127.0.0.1:1"),
        ]
        for (arguments, message) in cases {
            let result = try await ProcessRunner.run(Self.binary, arguments)
            #expect(result.status == 2, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }
}
