import GatewayAPI
import GatewayCore
import HTTPTransport
import HTTPTypes
import InferenceEngine
import NIOCore
import Testing

/// Issue 3's bad-input table: each row answered with its status and OpenAI-shaped error.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPRequest.Method = .post
        var path = "/v1/chat/completions"
        var body: String
        var contentType: String? = "application/json"
        var status: Int
        var type = "invalid_request_error"
        var param: String? = nil
        var code: String? = nil

        var testDescription: String { self.name }
    }

    static let chat = #"{"model":"echo","messages":[{"role":"user","content":"hi"}]"#

    static let cases: [Case] = [
        Case(name: "invalid JSON", body: #"{"model": "echo", "messages": ["#, status: 400, code: "invalid_json"),
        Case(name: "body not an object", body: "[1, 2]", status: 400),
        Case(name: "model not a string", body: #"{"model": 5, "messages": []}"#, status: 400, param: "model"),
        Case(name: "messages not an array", body: #"{"model":"echo","messages":"hi"}"#, status: 400, param: "messages"),
        Case(name: "content a number", body: #"{"model":"echo","messages":[{"role":"user","content":3}]}"#,
             status: 400, param: "messages[0].content"),
        Case(name: "unknown role", body: #"{"model":"echo","messages":[{"role":"robot","content":"x"}]}"#,
             status: 400, param: "messages[0].role"),
        Case(name: "temperature a string", body: chat + #","temperature":"hot"}"#, status: 400, param: "temperature"),
        Case(name: "temperature above 2", body: chat + #","temperature":2.5}"#, status: 400, param: "temperature"),
        Case(name: "top_p zero", body: chat + #","top_p":0}"#, status: 400, param: "top_p"),
        Case(name: "stream a string", body: chat + #","stream":"yes"}"#, status: 400, param: "stream"),
        Case(name: "n a float", body: chat + #","n":1.5}"#, status: 400, param: "n"),
        Case(name: "n zero", body: chat + #","n":0}"#, status: 400, param: "n"),
        Case(name: "seed a boolean", body: chat + #","seed":true}"#, status: 400, param: "seed"),
        Case(name: "stop a number", body: chat + #","stop":7}"#, status: 400, param: "stop"),
        Case(name: "five stop sequences", body: chat + #","stop":["a","b","c","d","e"]}"#, status: 400, param: "stop"),
        Case(name: "top_logprobs over 20", body: chat + #","logprobs":true,"top_logprobs":21}"#,
             status: 400, param: "top_logprobs"),
        Case(name: "top_logprobs without logprobs", body: chat + #","top_logprobs":2}"#, status: 400, param: "top_logprobs"),
        Case(name: "stream_options without stream", body: chat + #","stream_options":{"include_usage":true}}"#,
             status: 400, param: "stream_options"),
        Case(name: "priority unknown", body: chat + #","priority":"urgent"}"#, status: 400, param: "priority"),
        Case(name: "missing messages", body: #"{"model":"echo"}"#, status: 400, param: "messages"),
        Case(name: "empty messages", body: #"{"model":"echo","messages":[]}"#, status: 400, param: "messages"),
        Case(name: "missing prompt", path: "/v1/completions", body: #"{"model":"echo"}"#, status: 400, param: "prompt"),
        Case(name: "prompt of token ids", path: "/v1/completions", body: #"{"model":"echo","prompt":[1,2]}"#,
             status: 400, param: "prompt[0]"),
        Case(name: "missing model", body: #"{"messages":[{"role":"user","content":"hi"}]}"#, status: 400, param: "model"),
        Case(name: "unknown model", body: #"{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}"#,
             status: 404, param: "model", code: "model_not_found"),
        Case(name: "max_tokens zero", body: chat + #","max_tokens":0}"#, status: 400, param: "max_tokens"),
        Case(name: "max_tokens negative", path: "/v1/completions", body: #"{"model":"echo","prompt":"a","max_tokens":-3}"#,
             status: 400, param: "max_tokens"),
        Case(name: "max_completion_tokens zero", body: chat + #","max_completion_tokens":0}"#,
             status: 400, param: "max_completion_tokens"),
        Case(name: "completions logprobs a boolean", path: "/v1/completions",
             body: #"{"model":"echo","prompt":"a","logprobs":true}"#, status: 400, param: "logprobs"),
        Case(name: "wrong content type", body: chat + "}", contentType: "text/plain", status: 415,
             code: "unsupported_media_type"),
        Case(name: "no content type", body: chat + "}", contentType: nil, status: 415, code: "unsupported_media_type"),
        Case(name: "unknown path", path: "/v1/engines", body: chat + "}", status: 404, code: "not_found"),
        Case(name: "wrong method on completions", method: .get, path: "/v1/completions", body: "", status: 405,
             code: "method_not_allowed"),
        Case(name: "wrong method on models", method: .post, path: "/v1/models", body: "{}", status: 405,
             code: "method_not_allowed"),
    ]

    @Test(arguments: cases)
    func answersWithStatusAndOpenAIError(_ row: Case) async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, row.method, row.path, body: row.body, contentType: row.contentType)
        #expect(response.status == row.status, "\(response.body)")
        #expect(response.finished)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("x-request-id")?.hasPrefix("req_") == true)
        let error = response.error
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(error["type"] as? String == row.type)
        #expect(error["param"] as? String == row.param)
        #expect(error["code"] as? String == row.code)
        // All four keys are present, null or not, as OpenAI sends them.
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
    }

    @Test func wrongMethodNamesTheAllowedOne() async throws {
        let response = try await HandlerHarness.send(HandlerHarness.echo, .delete, "/v1/chat/completions")
        #expect(response.status == 405)
        #expect(response.header("allow") == "POST")
        let health = try await HandlerHarness.send(HandlerHarness.echo, .post, "/health/ready", body: "{}")
        #expect(health.header("allow") == "GET")
    }

    @Test func promptLongerThanTheContextNamesTheTokenCounts() async throws {
        let handler = OpenAIRequestHandler(engines: [EchoEngine(contextLength: 10)])
        let words = Array(repeating: "word", count: 12).joined(separator: " ")
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"echo","prompt":"\#(words)"}"#)
        #expect(response.status == 400)
        #expect(response.error["code"] as? String == "context_length_exceeded")
        #expect(response.error["param"] as? String == "prompt")
        let message = try #require(response.error["message"] as? String)
        #expect(message.contains("10 tokens") && message.contains("12 tokens"), "\(message)")
    }

    @Test func promptPlusMaxTokensOverTheWindowIsRefused() async throws {
        let handler = OpenAIRequestHandler(engines: [EchoEngine(contextLength: 10)])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/chat/completions",
            body: #"{"model":"echo","messages":[{"role":"user","content":"a b c d"}],"max_tokens":7}"#)
        #expect(response.status == 400)
        let message = try #require(response.error["message"] as? String)
        #expect(message.contains("11 tokens (4 in the messages, 7 in the completion)"), "\(message)")
        #expect(response.error["param"] as? String == "messages")
    }

    @Test func bodyTooLargeRejectionIsA413InOpenAIShape() throws {
        let (head, body) = HandlerHarness.echo.response(for: .bodyTooLarge(limit: 1024))
        let response = RecordedResponse(head: head, body: String(buffer: body), finished: true)
        #expect(response.status == 413)
        #expect(response.error["type"] as? String == "invalid_request_error")
        #expect((response.error["message"] as? String)?.contains("1024") == true)
        #expect(response.header("x-request-id") != nil)
        #expect(response.header("content-length") == String(body.readableBytes))
    }

    @Test func tokenizerRefusalIsA400() async throws {
        let engine = ScriptedEngine(script: .tokens(["x"], then: .stop))
        let handler = OpenAIRequestHandler(engines: [engine])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"invalid"}"#)
        #expect(response.status == 400)
        #expect(response.error["param"] as? String == "prompt")
        #expect(engine.requests.isEmpty)
    }

    @Test func invalidPriorityHeaderIsA400() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/chat/completions", body: Self.chat + "}", headers: ["x-priority": "now"])
        #expect(response.status == 400)
        #expect(response.error["param"] as? String == "x-priority")
    }
}
