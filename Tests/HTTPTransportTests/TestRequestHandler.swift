import HTTPTransport
import HTTPTypes
import NIOCore
import Synchronization

/// The application the transport tests serve. Routes:
/// - `/hello`: a fixed 13-byte body
/// - `/stream?n=N&delay_ms=D`: N chunks (`chunk i\n`), D ms apart
/// - `/echo`: the request body back, with the protocol in `x-protocol`
/// - `/wait`: the head, then waits until cancelled (counts starts and cancellations)
/// - `/headers?id=I`: the request's `x-` fields, one `name: value` line each, and `x-request-id: I`
final class TestRequestHandler: HTTPRequestHandler {
    struct Counters {
        var waitStarted = 0
        var waitCancelled = 0
        var chunksWritten = 0
    }

    let counters = Mutex(Counters())

    func handle(_ request: HTTPServerRequest, writer: any HTTPResponseWriter) async {
        let path = request.head.path ?? ""
        let (route, query) = Self.split(path)
        do {
            switch route {
            case "/hello":
                try await writer.writeHead(Self.ok(contentLength: 13))
                try await writer.writeBody(ByteBuffer(string: "hello, world\n"))
                try await writer.finish()
            case "/stream":
                let count = query["n"].flatMap { Int($0) } ?? 3
                let delay = query["delay_ms"].flatMap { Int($0) } ?? 0
                try await writer.writeHead(Self.ok(contentLength: nil))
                for index in 0..<count {
                    if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                    try await writer.writeBody(ByteBuffer(string: "chunk \(index)\n"))
                    self.counters.withLock { $0.chunksWritten += 1 }
                }
                try await writer.finish()
            case "/echo":
                var head = Self.ok(contentLength: request.body.readableBytes)
                head.headerFields[HTTPField.Name("x-protocol")!] = request.protocolVersion.rawValue
                try await writer.writeHead(head)
                try await writer.writeBody(request.body)
                try await writer.finish()
            case "/headers":
                let lines = request.head.headerFields.filter { $0.name.canonicalName.hasPrefix("x-") }
                    .map { "\($0.name.canonicalName): \($0.value)\n" }.joined()
                var head = Self.ok(contentLength: lines.utf8.count)
                head.headerFields[HTTPField.Name("x-request-id")!] = query["id"] ?? "none"
                try await writer.writeHead(head)
                try await writer.writeBody(ByteBuffer(string: lines))
                try await writer.finish()
            case "/wait":
                self.counters.withLock { $0.waitStarted += 1 }
                try await writer.writeHead(Self.ok(contentLength: nil))
                try await writer.writeBody(ByteBuffer(string: "waiting\n"))
                do {
                    try await Task.sleep(for: .seconds(30))
                } catch {
                    self.counters.withLock { $0.waitCancelled += 1 }
                    return
                }
                try await writer.finish()
            default:
                try await writer.writeHead(HTTPResponse(status: .notFound, headerFields: [.contentLength: "0"]))
                try await writer.finish()
            }
        } catch {
            return
        }
    }

    func response(for rejection: HTTPRequestRejection) -> (HTTPResponse, ByteBuffer) {
        let body: String
        let status: HTTPResponse.Status
        switch rejection {
        case .bodyTooLarge(let limit):
            status = .contentTooLarge
            body = "body over \(limit) bytes\n"
        case .headerTimeout:
            status = .requestTimeout
            body = "header timeout\n"
        }
        return (HTTPResponse(status: status, headerFields: [.contentLength: String(body.utf8.count)]), ByteBuffer(string: body))
    }

    private static func ok(contentLength: Int?) -> HTTPResponse {
        var fields = HTTPFields()
        fields[.contentType] = "text/plain"
        if let contentLength {
            fields[.contentLength] = String(contentLength)
        }
        return HTTPResponse(status: .ok, headerFields: fields)
    }

    private static func split(_ path: String) -> (String, [String: String]) {
        let parts = path.split(separator: "?", maxSplits: 1)
        let route = parts.first.map(String.init) ?? ""
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1)
                if keyValue.count == 2 {
                    query[String(keyValue[0])] = String(keyValue[1])
                }
            }
        }
        return (route, query)
    }
}
