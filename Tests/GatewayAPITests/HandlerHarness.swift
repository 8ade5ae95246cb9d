import Foundation
import GatewayAPI
import HTTPTransport
import HTTPTypes
import InferenceEngine
import NIOCore
import Testing

/// A finished exchange with the handler, with helpers to read its body.
struct RecordedResponse {
    var head: HTTPResponse
    var body: String
    var finished: Bool

    var status: Int { self.head.status.code }

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any] ?? [:]
    }

    var error: [String: Any] { self.json["error"] as? [String: Any] ?? [:] }

    /// The `data:` payloads of an SSE body, in order.
    var events: [String] {
        self.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "<not a data event: \(event)>"
        }
    }

    /// The JSON events of an SSE body ([DONE] left out).
    var chunks: [[String: Any]] {
        self.events.filter { $0 != "[DONE]" }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { self.head.headerFields[$0] }
    }
}

enum HandlerHarness {
    static func request(
        _ method: HTTPRequest.Method = .post, _ path: String, body: String = "",
        contentType: String? = "application/json", headers: [String: String] = [:]
    ) -> HTTPServerRequest {
        var fields = HTTPFields()
        if let contentType { fields[.contentType] = contentType }
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: fields)
        return HTTPServerRequest(head: head, body: ByteBuffer(string: body), protocolVersion: .http2)
    }

    static func send(
        _ handler: OpenAIRequestHandler, _ method: HTTPRequest.Method = .post, _ path: String, body: String = "",
        contentType: String? = "application/json", headers: [String: String] = [:]
    ) async throws -> RecordedResponse {
        let writer = RecordingResponseWriter()
        await handler.handle(
            Self.request(method, path, body: body, contentType: contentType, headers: headers), writer: writer)
        let recorded = writer.recorded
        let head = try #require(recorded.head)
        let body = recorded.bodies.reduce(into: "") { $0 += String(buffer: $1) }
        return RecordedResponse(head: head, body: body, finished: recorded.finished)
    }

    static let echo = OpenAIRequestHandler(engines: [EchoEngine()])
}
