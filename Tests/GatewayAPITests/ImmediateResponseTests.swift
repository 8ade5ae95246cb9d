import Foundation
import GatewayAPI
import HTTPTypes
import InferenceEngine
import NIOCore
import Testing

/// The fast path for engines that answer at once (`immediateResponse`, `immediateEvents`)
/// must give what the streamed path gives, and leave everything else to `handle`.
@Suite struct ImmediateResponseTests {
    /// Echo with a token interval streams, so it takes the path through `generate`.
    static let streamedEcho = OpenAIRequestHandler(engines: [EchoEngine(tokenInterval: .nanoseconds(1))])

    /// The body without its per-response `id` and `created`.
    static func comparable(_ body: String) throws -> NSDictionary {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        json["id"] = nil
        json["created"] = nil
        return json as NSDictionary
    }

    @Test(arguments: [
        ("/v1/completions", #"{"model":"echo","prompt":"Hello there world","max_tokens":2}"#),
        ("/v1/completions", #"{"model":"echo","prompt":["a b","c d e"],"n":2,"logprobs":1,"stop":" e"}"#),
        ("/v1/chat/completions", #"{"model":"echo","messages":[{"role":"user","content":"Say \"hi\"\n now"}],"logprobs":true,"top_logprobs":1}"#),
    ])
    func immediateMatchesStreamed(path: String, body: String) async throws {
        let request = HandlerHarness.request(.post, path, body: body, headers: ["x-request-id": "req-fixed"])
        let (head, bytes) = try #require(HandlerHarness.echo.immediateResponse(to: request))
        #expect(head.status.code == 200)
        #expect(head.headerFields[.contentLength] == String(bytes.readableBytes))
        #expect(head.headerFields[.requestID] == "req-fixed")
        #expect(head.headerFields[.modelVersion] == "1")
        let immediate = try Self.comparable(String(buffer: bytes))
        let response = try await HandlerHarness.send(
            Self.streamedEcho, .post, path, body: body, headers: ["x-request-id": "req-fixed"])
        #expect(response.status == 200)
        #expect(response.header("content-type") == head.headerFields[.contentType])
        #expect(try Self.comparable(response.body) == immediate)
    }

    @Test(arguments: [
        (HTTPRequest.Method.post, "/v1/completions", #"{"model":"echo","prompt":"hi","stream":true}"#),
        (.post, "/v1/completions", #"{"model":"nope","prompt":"hi"}"#),
        (.post, "/v1/completions", #"{"model":"echo","prompt":"hi","max_tokens":0}"#),
        (.post, "/v1/completions", "not json"),
        (.get, "/v1/completions", ""),
        (.get, "/v1/models", ""),
        (.get, "/health/live", ""),
    ])
    func everythingElseGoesThroughHandle(method: HTTPRequest.Method, path: String, body: String) {
        let request = HandlerHarness.request(method, path, body: body)
        #expect(HandlerHarness.echo.immediateResponse(to: request) == nil)
    }

    @Test func streamingEchoDoesNotAnswerImmediately() {
        let request = HandlerHarness.request(.post, "/v1/completions", body: #"{"model":"echo","prompt":"hi"}"#)
        #expect(Self.streamedEcho.immediateResponse(to: request) == nil)
    }
}
