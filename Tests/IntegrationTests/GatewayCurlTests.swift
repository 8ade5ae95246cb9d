import TestSupport
import Testing

/// `curl` over HTTP/2 with prior knowledge and over HTTP/1.1.
@Suite(.serialized) struct GatewayCurlTests {
    static let chat = #"{"model":"echo","messages":[{"role":"user","content":"curl says hi"}]}"#

    func curl(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "30", "-D", "-"] + arguments, timeoutSeconds: 40)
    }

    @Test(arguments: ["--http2-prior-knowledge", "--http1.1"])
    func chatWholeAndStreamed(_ version: String) async throws {
        try await GatewayFixture.withServer { port, _ in
            let url = "http://127.0.0.1:\(port)/v1/chat/completions"
            let whole = try await self.curl([version, url, "-H", "content-type: application/json", "-H", "x-request-id: curl-1", "-d", Self.chat])
            #expect(whole.status == 0, "\(whole.stderr)")
            let statusLine = version == "--http1.1" ? "HTTP/1.1 200" : "HTTP/2 200"
            #expect(whole.stdout.hasPrefix(statusLine), "\(whole.stdout)")
            #expect(whole.stdout.lowercased().contains("x-request-id: curl-1"))
            #expect(whole.stdout.lowercased().contains("x-switchyard-model-version: 1"))
            #expect(whole.stdout.contains(#""content":"curl says hi""#))

            let streamed = try await self.curl([
                version, "-N", url, "-H", "content-type: application/json",
                "-d", #"{"model":"echo","messages":[{"role":"user","content":"one two"}],"stream":true}"#,
            ])
            #expect(streamed.status == 0, "\(streamed.stderr)")
            #expect(streamed.stdout.lowercased().contains("content-type: text/event-stream"))
            #expect(streamed.stdout.contains(#""delta":{"content":" two"}"#))
            #expect(streamed.stdout.hasSuffix("data: [DONE]\n\n"), "\(streamed.stdout)")
        }
    }

    @Test(arguments: ["--http2-prior-knowledge", "--http1.1"])
    func errorsCarryTheirStatus(_ version: String) async throws {
        try await GatewayFixture.withServer { port, _ in
            let base = "http://127.0.0.1:\(port)"
            let big = String(repeating: "x", count: GatewayFixture.maxBodyBytes + 1)
            let rows: [([String], Int)] = [
                (["\(base)/v1/chat/completions", "-H", "content-type: application/json", "-d", "{nope"], 400),
                (["\(base)/v1/chat/completions", "-H", "content-type: application/json", "-d", #"{"model":"x","messages":[{"role":"user","content":"a"}]}"#], 404),
                (["\(base)/v1/chat/completions", "-d", Self.chat], 415),
                (["\(base)/v1/chat/completions", "-H", "content-type: application/json", "-d", big], 413),
                (["\(base)/v1/nothing"], 404),
                (["\(base)/v1/chat/completions"], 405),
                (["\(base)/health/live"], 200),
                (["\(base)/health/ready"], 200),
                (["\(base)/v1/models"], 200),
            ]
            for (arguments, status) in rows {
                let result = try await self.curl([version, "-o", "/dev/null", "-w", "%{http_code}\n"] + arguments)
                #expect(result.stdout.hasSuffix("\(status)\n"), "\(arguments.first ?? ""): \(result.stdout) \(result.stderr)")
                #expect(result.stdout.lowercased().contains("x-request-id: "))
            }
        }
    }
}
