import GatewayCore
import HTTPTransport
import HTTPTypes
import InferenceEngine

extension OpenAIRequestHandler {
    /// `/health/live`: the process answers.
    func serveLiveness(requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        var json = JSONWriter()
        json.beginObject()
        json.field("status", "ok")
        json.endObject()
        try await self.writeJSON(status: .ok, json.buffer, requestID: requestID, writer: writer)
    }

    /// `/health/ready`: 200 while serving, 503 while starting or draining.
    func serveReadiness(requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        let state = self.readiness.current
        var json = JSONWriter()
        json.beginObject()
        json.field("status", state.rawValue)
        json.endObject()
        let status: HTTPResponse.Status = state == .ready ? .ok : .serviceUnavailable
        try await self.writeJSON(status: status, json.buffer, requestID: requestID, writer: writer)
    }

    /// `/v1/models`: `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}`.
    func serveModels(requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        var json = JSONWriter()
        json.beginObject()
        json.field("object", "list")
        json.key("data")
        json.beginArray()
        for name in self.models.modelNames { self.writeModel(name, to: &json) }
        json.endArray()
        json.endObject()
        try await self.writeJSON(status: .ok, json.buffer, requestID: requestID, writer: writer)
    }

    /// `/v1/models/{id}`: one model, or 404.
    func serveModel(named name: String, requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        guard let engine = self.models.engine(for: name) else { throw APIError.modelNotFound(name) }
        var json = JSONWriter()
        self.writeModel(name, to: &json)
        var headers = HTTPFields()
        headers[.modelVersion] = engine.modelVersion
        try await self.writeJSON(status: .ok, json.buffer, requestID: requestID, headers: headers, writer: writer)
    }

    private func writeModel(_ name: String, to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", name)
        json.field("object", "model")
        json.field("created", self.createdAt)
        json.field("owned_by", "switchyard")
        json.endObject()
    }
}
