import HTTPTransport
import TestSupport
import Testing

/// The official `openai` Python package against a real server.
@Suite(.serialized) struct OpenAIClientTests {
    func runScript(_ name: String, arguments: [String] = []) async throws {
        try await GatewayFixture.withServer { port, server in
            let result = try await ProcessRunner.run(
                ProcessRunner.python, [ProcessRunner.script(name), "http://127.0.0.1:\(port)/v1"] + arguments)
            #expect(result.status == 0, "\(name): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("ok "))
            #expect(!result.stdout.contains("FAILED"))
            // Every stream ended: nothing is left running in the server.
            for _ in 0..<200 where server.activeStreamCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.activeStreamCount == 0)
        }
    }

    @Test func chatCompletions() async throws {
        try await self.runScript("openai_chat.py")
    }

    @Test func completions() async throws {
        try await self.runScript("openai_completions.py")
    }

    @Test func keepsServingWhileBadRequestsFlow() async throws {
        try await self.runScript("openai_bad_input_flood.py", arguments: [String(GatewayFixture.maxBodyBytes)])
    }
}
