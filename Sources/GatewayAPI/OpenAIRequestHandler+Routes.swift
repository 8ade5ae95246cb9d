import Foundation
import GatewayCore
import HTTPTransport
import HTTPTypes

extension OpenAIRequestHandler {
    /// Dispatches on the path (query ignored); a known path with the wrong method is a 405.
    func route(_ request: HTTPServerRequest, requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        let path = Self.pathWithoutQuery(request.head.path)
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
                throw APIError.notFound(path: String(path))
            }
        }
    }

    /// The path up to its query: a slice, not a split, so no array and no string per request.
    static func pathWithoutQuery(_ fullPath: String?) -> Substring {
        let fullPath = fullPath ?? ""
        return fullPath[..<(fullPath.utf8.firstIndex(of: UInt8(ascii: "?")) ?? fullPath.endIndex)]
    }

    /// The completion endpoint a path names, if any.
    static func completionEndpoint(path: String?) -> CompletionRequest.Endpoint? {
        switch Self.pathWithoutQuery(path) {
        case "/v1/completions": .completions
        case "/v1/chat/completions": .chat
        default: nil
        }
    }

    /// POST bodies must be `application/json` (parameters such as `charset` allowed). Compared
    /// on bytes: this runs for every request, and Foundation's trimming showed in profiles.
    static func requireJSON(_ head: HTTPRequest) throws {
        let contentType = head.headerFields.value(of: .contentType)
        guard let contentType, Self.isJSONMediaType(contentType) else {
            throw APIError.unsupportedMediaType(contentType)
        }
    }

    static func isJSONMediaType(_ contentType: String) -> Bool {
        let expected: StaticString = "application/json"
        var contentType = contentType
        return contentType.withUTF8 { bytes in
            let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            // The media type is what precedes any parameters, without surrounding blanks.
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            var start = 0
            while start < end, isBlank(bytes[start]) { start += 1 }
            while end > start, isBlank(bytes[end - 1]) { end -= 1 }
            guard end - start == expected.utf8CodeUnitCount else { return false }
            // ASCII lowercasing: setting bit 5 maps A–Z to a–z and leaves the expected bytes as they are.
            for offset in 0..<(end - start) {
                let byte = bytes[start + offset]
                let wanted = expected.utf8Start[offset]
                guard byte == wanted || ((0x41...0x5A).contains(byte) && byte | 0x20 == wanted) else { return false }
            }
            return true
        }
    }
}
