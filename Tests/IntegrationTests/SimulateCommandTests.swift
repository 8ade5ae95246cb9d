import Foundation
import TestSupport
import Testing

/// The built `switchyard simulate` binary: a run prints its figures (text or JSON), a sweep
/// writes its SVG, and bad inputs fail with one line on stderr.
@Suite struct SimulateCommandTests {
    static var binary: String { ServeCommandTests.binary }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func aTraceRunPrintsJSONFigures() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("trace.jsonl")
        let lines = (0..<50).map { #"{"arrival_s": \#(Double($0) * 0.05), "input_tokens": 512, "output_tokens": 32, "prefix_id": "p\#($0 % 2)"}"# }
        try lines.joined(separator: "\n").write(to: trace, atomically: true, encoding: .utf8)
        let result = try await ProcessRunner.run(
            Self.binary,
            ["simulate", "--fleet", "1x2", "--model", "llama-3.1-8b", "--weights", "fp8", "--workload", trace.path,
                "--slo", "ttft=1,tpot=100ms", "--format", "json"], timeoutSeconds: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["completed"] as? Int == 50)
        #expect(object["replicas"] as? Int == 2)
        #expect((object["prefixCacheHitRate"] as? Double ?? 0) > 0)
        #expect((object["goodput"] as? [String: Any])?["fraction"] is Double)
    }

    @Test func aSweepWritesTheCurve() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = directory.appendingPathComponent("curve.svg")
        let result = try await ProcessRunner.run(
            Self.binary,
            ["simulate", "--fleet", "1x1", "--model", "llama-3.1-8b", "--workload", "poisson:rate=1,input=256,output=32,count=100",
                "--sweep", "2,8", "--svg", svg.path], timeoutSeconds: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(svg.path)"))
        let content = try String(contentsOf: svg, encoding: .utf8)
        #expect(content.contains("<svg") && content.contains("8 req/s"))
    }

    /// `--fidelity` prints Docs/SIMULATOR.md's table and the refit from the priors.
    @Test func fidelityPrintsTheTableAndTheRefit() async throws {
        let result = try await ProcessRunner.run(Self.binary, ["simulate", "--fidelity"], timeoutSeconds: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("| row | half | source | GPU | model |"))
        #expect(result.stdout.contains("| B5 | held out | B | H200 | llama-2-70b | 4 | 512 | 128/2048 | tok/s/GPU | 1,654 |"))
        #expect(result.stdout.contains("held out: 10 rows, median absolute error"))
        #expect(result.stdout.contains("perQueryHeadLoadRate = 3250000000000.0 (calibrated 3250000000000.0)"))
    }

    @Test func badInputsAreOneLineErrors() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("bad.jsonl")
        try #"{"arrival_s": 0, "input_tokens": 8, "output_tokens": 8}"#.appending("\n{\"arrival_s\": 1}\n")
            .write(to: trace, atomically: true, encoding: .utf8)
        let workload = ["--workload", "poisson:rate=1,input=8,output=8,count=4"]
        let cases: [([String], String)] = [
            (["--model", "llama-9"] + workload, "unknown model profile 'llama-9'"),
            (["--model", "llama-3.1-405b"] + workload, "short by"),
            (["--model", "llama-3.1-70b", "--weights", "fp8", "--tp", "16"] + workload, "exceeds the 8 devices of a node"),
            (["--model", "llama-3.1-8b", "--workload", trace.path], "bad.jsonl:2: 'input_tokens' must be an integer"),
            (["--model", "llama-3.1-8b", "--workload", "poisson:rate=1"], "rate, input and output are required"),
            (["--model", "llama-3.1-8b", "--slo", "ttft=soon"] + workload, "--slo"),
            (["--model", "/nonexistent/model.gguf"] + workload, "--model /nonexistent/model.gguf"),
            (workload, "--model and --workload are required (or --fidelity)"),
        ]
        for (arguments, message) in cases {
            let result = try await ProcessRunner.run(Self.binary, ["simulate"] + arguments, timeoutSeconds: 30)
            #expect(result.status == 1, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.hasPrefix("switchyard simulate: ") && result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }
}
