import GatewayCore
import HTTPTransport
import HTTPTypes
import InferenceEngine
import NIOCore

extension OpenAIRequestHandler {
    /// A whole JSON response: head with `content-length`, body, end.
    func writeJSON(
        status: HTTPResponse.Status, _ body: ByteBuffer, requestID: RequestID,
        headers: HTTPFields = HTTPFields(), writer: any HTTPResponseWriter
    ) async throws {
        let head = Self.jsonHead(status: status, bodyLength: body.readableBytes, requestID: requestID, headers: headers)
        try await writer.writeResponse(head, body: body)
    }

    /// The head of a whole JSON response.
    static func jsonHead(status: HTTPResponse.Status, bodyLength: Int, requestID: RequestID, headers: HTTPFields) -> HTTPResponse {
        var head = HTTPResponse(status: status, headerFields: headers)
        let ours: [HTTPField.Name] = [.contentType, .contentLength, .requestID]
        if headers.contains(where: { ours.contains($0.name) }) {
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = String(bodyLength)
            head.headerFields[.requestID] = requestID.rawValue
        } else {
            // Appending what is not there yet is the same as setting it, without the setter
            // indexing every field each time.
            head.headerFields.append(HTTPField(name: .contentType, value: "application/json"))
            head.headerFields.append(HTTPField(name: .contentLength, value: String(bodyLength)))
            head.headerFields.append(HTTPField(name: .requestID, value: requestID.rawValue))
        }
        return head
    }

    /// The head of a whole completion. The fields start as a copy of one template, which
    /// allocates once at its final size; building `HTTPFields` field by field allocated and
    /// regrew its array two or three times per response (profiled).
    static func completionHead(bodyLength: Int, requestID: RequestID, engine: any TextGenerationEngine) -> HTTPResponse {
        var fields = Self.completionFieldsTemplate
        fields[1] = HTTPField(name: .contentLength, value: String(bodyLength))
        fields[2] = HTTPField(name: .requestID, value: requestID.rawValue)
        fields[3] = HTTPField(name: .modelVersion, value: engine.modelVersion)
        return HTTPResponse(status: .ok, headerFields: fields)
    }

    private static let completionFieldsTemplate: HTTPFields = [
        .contentType: "application/json", .contentLength: "0", .requestID: "-", .modelVersion: "-",
    ]

    func writeError(_ error: APIError, requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        let (head, body) = self.errorResponse(error, requestID: requestID)
        try await writer.writeResponse(head, body: body)
    }

    /// An error's head (with `retry-after` for 429 and `allow` for 405) and JSON body.
    func errorResponse(_ error: APIError, requestID: RequestID) -> (HTTPResponse, ByteBuffer) {
        var json = JSONWriter(capacity: 256)
        error.write(to: &json)
        let body = json.buffer
        var head = HTTPResponse(status: error.status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.requestID] = requestID.rawValue
        if let seconds = error.retryAfterSeconds { head.headerFields[.retryAfter] = String(seconds) }
        if !error.allowedMethods.isEmpty {
            head.headerFields[.allow] = error.allowedMethods.map(\.rawValue).joined(separator: ", ")
        }
        return (head, body)
    }
}
