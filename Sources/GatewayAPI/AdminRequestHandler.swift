import Foundation
import HTTPTransport
import HTTPTypes
import Logging
import NIOCore
import ReplicaRouting

/// The admin API, on its own port: model lifecycle (list, load, validate, canary, promote,
/// rollback, retire, fault injection), the audit log and the device report. Every request
/// needs `authorization: Bearer TOKEN`; there is no open mode.
public struct AdminRequestHandler: HTTPRequestHandler {
    let registry: ModelRegistry
    let token: String
    let logger: Logger

    public init(registry: ModelRegistry, token: String, logger: Logger = Logger(label: "switchyard.admin")) {
        self.registry = registry
        self.token = token
        self.logger = logger
    }

    public func handle(_ request: HTTPServerRequest, writer: any HTTPResponseWriter) async {
        let answer: AdminAnswer
        if !self.isAuthorized(request.head) {
            answer = AdminAnswer(error: "missing or wrong bearer token", status: .unauthorized)
        } else {
            answer = await self.route(request)
        }
        self.logger.info("admin request", metadata: [
            "method": "\(request.head.method)", "path": "\(request.head.path ?? "")", "status": "\(answer.status.code)",
        ])
        let (head, body) = answer.response()
        try? await writer.writeHead(head)
        try? await writer.writeBody(body)
        try? await writer.finish()
    }

    public func response(for rejection: HTTPRequestRejection) -> (HTTPResponse, ByteBuffer) {
        switch rejection {
        case .bodyTooLarge(let limit): AdminAnswer(error: "request body larger than \(limit) bytes", status: .contentTooLarge).response()
        case .headerTimeout: AdminAnswer(error: "request headers timed out", status: .requestTimeout).response()
        }
    }

    /// Compares the whole token in constant time, so timing says nothing about a prefix.
    func isAuthorized(_ head: HTTPRequest) -> Bool {
        guard let value = head.headerFields[.authorization], value.hasPrefix("Bearer ") else { return false }
        let offered = Array(value.utf8.dropFirst("Bearer ".utf8.count))
        let expected = Array(self.token.utf8)
        guard !expected.isEmpty, offered.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(offered, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// Who the audit log names: `admin`, or `admin:NAME` from `x-switchyard-actor`
    /// (1–64 of `A-Z a-z 0-9 . _ @ -`).
    func actor(_ head: HTTPRequest) -> String {
        guard let name = head.headerFields[.adminActor], (1...64).contains(name.utf8.count),
            name.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"),
                    UInt8(ascii: "-"):
                    true
                default: false
                }
            })
        else { return "admin" }
        return "admin:\(name)"
    }
}

extension HTTPField.Name {
    /// The operator an admin request acts for, recorded in the audit log.
    public static let adminActor = HTTPField.Name("x-switchyard-actor")!
}

/// One admin response: a status and a JSON body.
struct AdminAnswer {
    var status: HTTPResponse.Status
    var body: Data

    init(status: HTTPResponse.Status = .ok, json: some Encodable) {
        self.status = status
        self.body = (try? Self.encoder.encode(json)) ?? Data("{}".utf8)
    }

    /// `{"error": {"message": ..., "code": ...}}`, with the validation report when there is one.
    init(error message: String, status: HTTPResponse.Status, code: String? = nil, report: ValidationReport? = nil) {
        self.init(status: status, json: ErrorBody(error: .init(message: message, code: code ?? "\(status.code)", report: report)))
    }

    init(_ error: RegistryError, report: ValidationReport? = nil) {
        let status: HTTPResponse.Status =
            switch error.code {
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalidArgument: .badRequest
            case .unusableFiles, .validationFailed: .unprocessableContent
            case .insufficientMemory: .init(code: 507, reasonPhrase: "Insufficient Storage")
            default: .internalServerError
            }
        self.init(error: error.message, status: status, code: error.code.description, report: report)
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var message: String
            var code: String
            var report: ValidationReport?
        }

        var error: Detail
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    func response() -> (HTTPResponse, ByteBuffer) {
        var head = HTTPResponse(status: self.status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(self.body.count)
        if self.status == .unauthorized { head.headerFields[.wwwAuthenticate] = "Bearer" }
        return (head, ByteBuffer(bytes: self.body))
    }
}
