import GatewayAPI
import GatewayCore
import HTTPTypes
import Testing

/// An engine's refusals and failures map to the statuses DESIGN.md gives them.
@Suite struct EngineErrorTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var error: GenerationError
        var status: Int
        var type: String
        var testDescription: String { "\(self.error.code)" }
    }

    static let rows: [Row] = [
        Row(error: GenerationError(.overloaded, "busy", retryAfterSeconds: 2), status: 429, type: "rate_limit_error"),
        Row(error: GenerationError(.unavailable, "draining"), status: 503, type: "server_error"),
        Row(error: GenerationError(.internalFailure, "boom"), status: 500, type: "server_error"),
        Row(error: GenerationError(.invalidRequest, "bad template"), status: 400, type: "invalid_request_error"),
        Row(error: GenerationError(.promptTooLong, "too long"), status: 400, type: "invalid_request_error"),
    ]

    @Test(arguments: rows)
    func nonStreamedRefusal(_ row: Row) async throws {
        let engine = ScriptedEngine(script: .refuse(row.error))
        let handler = OpenAIRequestHandler(engines: [engine])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/chat/completions", body: #"{"model":"scripted","messages":[{"role":"user","content":"x"}]}"#)
        #expect(response.status == row.status)
        #expect(response.error["type"] as? String == row.type)
        #expect(response.error["message"] as? String == row.error.message)
        #expect(response.header("x-request-id") != nil)
        #expect((response.header("retry-after") != nil) == (row.status == 429))
    }

    @Test func failureAfterTokensStillFailsTheWholeResponse() async throws {
        let engine = ScriptedEngine(script: .tokensThenError(["a", "b"], GenerationError(.internalFailure, "lost")))
        let handler = OpenAIRequestHandler(engines: [engine])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"x"}"#)
        #expect(response.status == 500)
    }

    @Test func anUnknownErrorIsA500WithoutItsText() async throws {
        struct Secret: Error {}
        let handler = OpenAIRequestHandler(engines: [ScriptedEngine(script: .refuse(Secret()))])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"x"}"#)
        #expect(response.status == 500)
        #expect(response.error["message"] as? String == "The server failed while generating the response.")
    }
}
