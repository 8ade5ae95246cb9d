import Foundation
import GatewayCore
import HTTPTransport
import HTTPTypes

extension OpenAIRequestHandler {
    /// Dispatches on the path (query ignored); a known path with the wrong method is a 405.
    func route(_ request: HTTPServerRequest, requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        let fullPath = request.head.path ?? ""
        let path = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let method = request.head.method
        if try await self.serveObservability(request, path: path, requestID: requestID, writer: writer) { return }
        switch path {
        case "/v1/completions", "/v1/chat/completions":
            guard method == .post else { throw APIError.methodNotAllowed(method, allowed: [.post]) }
            try Self.requireJSON(request.head)
            let endpoint: CompletionRequest.Endpoint = path == "/v1/completions" ? .completions : .chat
            try await self.serveCompletion(request, endpoint: endpoint, requestID: requestID, writer: writer)
        case "/v1/models":
            guard method == .get else { throw APIError.methodNotAllowed(method, allowed: [.get]) }
            try await self.serveModels(requestID: requestID, writer: writer)
        case "/health/live":
            guard method == .get else { throw APIError.methodNotAllowed(method, allowed: [.get]) }
            try await self.serveLiveness(requestID: requestID, writer: writer)
        case "/health/ready":
            guard method == .get else { throw APIError.methodNotAllowed(method, allowed: [.get]) }
            try await self.serveReadiness(requestID: requestID, writer: writer)
        default:
            if path.hasPrefix("/v1/models/") {
                guard method == .get else { throw APIError.methodNotAllowed(method, allowed: [.get]) }
                let name = String(path.dropFirst("/v1/models/".count))
                try await self.serveModel(named: name, requestID: requestID, writer: writer)
            } else {
                throw APIError.notFound(path: path)
            }
        }
    }

    /// POST bodies must be `application/json` (parameters such as `charset` allowed). Compared
    /// on bytes: this runs for every request, and Foundation's trimming showed in profiles.
    static func requireJSON(_ head: HTTPRequest) throws {
        let contentType = head.headerFields[.contentType]
        guard let contentType, Self.isJSONMediaType(contentType) else {
            throw APIError.unsupportedMediaType(contentType)
        }
    }

    static func isJSONMediaType(_ contentType: String) -> Bool {
        let expected = "application/json".utf8
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = mediaType.drop(while: isBlank).reversed().drop(while: isBlank).reversed()
        // ASCII lowercasing: setting bit 5 maps A–Z to a–z and leaves the expected bytes as they are.
        return trimmed.count == expected.count
            && zip(trimmed, expected).allSatisfy { byte, wanted in
                byte == wanted || ((0x41...0x5A).contains(byte) && byte | 0x20 == wanted)
            }
    }
}
