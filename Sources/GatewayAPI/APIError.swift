import GatewayCore
import HTTPTypes

/// An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
struct APIError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var type: String
    var message: String
    /// The request field at fault, when there is one.
    var param: String?
    var code: String?
    /// For 429: seconds until a retry is worth it (the `retry-after` header).
    var retryAfterSeconds: Int?
    /// For 405: the methods the path accepts (the `allow` header).
    var allowedMethods: [HTTPRequest.Method] = []

    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", message: message, param: param, code: code)
    }

    static func invalidType(_ param: String, expected: String, got value: JSONValue) -> APIError {
        .invalidRequest("Invalid type for '\(param)': expected \(expected), but got \(value.typeName) instead.", param: param)
    }

    static func modelNotFound(_ model: String) -> APIError {
        APIError(
            status: .notFound, type: "invalid_request_error",
            message: "The model `\(model)` does not exist or you do not have access to it.",
            param: "model", code: "model_not_found"
        )
    }

    static func notFound(path: String) -> APIError {
        APIError(status: .notFound, type: "invalid_request_error", message: "Unknown path: \(path)", code: "not_found")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(
            status: .methodNotAllowed, type: "invalid_request_error",
            message: "Method \(method.rawValue) is not allowed here; use \(list).",
            code: "method_not_allowed", allowedMethods: allowed
        )
    }

    static func unsupportedMediaType(_ contentType: String?) -> APIError {
        APIError(
            status: .unsupportedMediaType, type: "invalid_request_error",
            message: "Content type \(contentType.map { "'\($0)'" } ?? "(none)") is not supported; send application/json.",
            code: "unsupported_media_type"
        )
    }

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, type: "invalid_request_error",
            message: "The request body exceeds the limit of \(limit) bytes.", code: "request_too_large"
        )
    }

    static let headerTimeout = APIError(
        status: .requestTimeout, type: "invalid_request_error",
        message: "The request headers did not arrive in time.", code: "request_timeout"
    )

    /// Anything an engine throws that is not a `GenerationError` is an internal failure; its
    /// text is not shown to the client.
    static func from(_ error: any Error, param: String? = nil) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? GenerationError { return APIError(error, param: param) }
        return APIError(GenerationError(.internalFailure, "The server failed while generating the response."))
    }

    /// Writes `{"error": {...}}`.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.field("message", self.message)
        json.field("type", self.type)
        json.field("param", self.param)
        json.field("code", self.code)
        json.endObject()
        json.endObject()
    }
}

extension APIError {
    /// The engine's own refusals and failures, with the status DESIGN.md gives each.
    init(_ error: GenerationError, param: String? = nil) {
        switch error.code {
        case .promptTooLong:
            self.init(status: .badRequest, type: "invalid_request_error", message: error.message, param: param, code: "context_length_exceeded")
        case .invalidRequest:
            self.init(status: .badRequest, type: "invalid_request_error", message: error.message, param: param)
        case .overloaded:
            self.init(
                status: .tooManyRequests, type: "rate_limit_error", message: error.message,
                code: "rate_limit_exceeded", retryAfterSeconds: max(1, error.retryAfterSeconds ?? 1)
            )
        case .unavailable:
            self.init(status: .serviceUnavailable, type: "server_error", message: error.message, code: "service_unavailable")
        default:
            self.init(status: .internalServerError, type: "server_error", message: error.message, code: "internal_error")
        }
    }
}
