import HTTPTypes
import NIOCore

/// Which protocol carried a request.
public enum HTTPProtocolVersion: String, Sendable {
    case http1_1 = "HTTP/1.1"
    case http2 = "HTTP/2"
}

/// A request whose head and whole body have arrived (bodies are bounded by
/// `HTTPServer.Configuration.maxBodySize`, so collecting them is safe).
public struct HTTPServerRequest: Sendable {
    public var head: HTTPRequest
    public var body: ByteBuffer
    public var protocolVersion: HTTPProtocolVersion
    /// `true` when the connection is TLS.
    public var isSecure: Bool
    public var remoteAddress: SocketAddress?

    public init(
        head: HTTPRequest,
        body: ByteBuffer,
        protocolVersion: HTTPProtocolVersion,
        isSecure: Bool = false,
        remoteAddress: SocketAddress? = nil
    ) {
        self.head = head
        self.body = body
        self.protocolVersion = protocolVersion
        self.isSecure = isSecure
        self.remoteAddress = remoteAddress
    }
}

/// Writes one response. Each call suspends until the transport has accepted the bytes under
/// flow control (HTTP/2 windows, HTTP/1.1 channel writability), so a slow reader stalls only
/// its own stream. After the peer resets the stream or closes the connection every call
/// throws `HTTPTransportError.streamClosed`.
public protocol HTTPResponseWriter: Sendable {
    func writeHead(_ head: HTTPResponse) async throws
    func writeBody(_ bytes: ByteBuffer) async throws
    /// Ends the response. A writer that was never finished is reset by the transport.
    func finish() async throws
    /// A whole response: the same as `writeHead`, `writeBody` and `finish` in turn, which is
    /// what the default does; a transport may hand all three to its connection at once.
    func writeResponse(_ head: HTTPResponse, body: ByteBuffer) async throws
}

extension HTTPResponseWriter {
    public func writeResponse(_ head: HTTPResponse, body: ByteBuffer) async throws {
        try await self.writeHead(head)
        try await self.writeBody(body)
        try await self.finish()
    }
}

/// Why the transport answered a request without calling the handler.
public enum HTTPRequestRejection: Sendable, Equatable {
    /// The body exceeded `maxBodySize` (413).
    case bodyTooLarge(limit: Int)
    /// Headers were not complete within `headerReadTimeout` (408).
    case headerTimeout
}

/// The application behind the transport. The transport runs `handle` in a task of its own
/// per request and cancels that task when the client resets the stream or disconnects.
public protocol HTTPRequestHandler: Sendable {
    func handle(_ request: HTTPServerRequest, writer: any HTTPResponseWriter) async

    /// The complete response for a request the transport refused (status, headers, body).
    func response(for rejection: HTTPRequestRejection) -> (HTTPResponse, ByteBuffer)

    /// The whole response when the handler can make it at once, without waiting; nil (the
    /// default) when `handle` must serve the request. The transport asks first and sends an
    /// answer here from its event loop without starting a task: a task, its writer and their
    /// task switches were most of a small response's cost.
    func immediateResponse(to request: HTTPServerRequest) -> (HTTPResponse, ByteBuffer)?
}

extension HTTPRequestHandler {
    public func immediateResponse(to request: HTTPServerRequest) -> (HTTPResponse, ByteBuffer)? { nil }
}

public struct HTTPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let name: String
        private init(_ name: String) { self.name = name }
        /// The stream was reset or the connection closed before the response ended.
        public static let streamClosed = Code("stream_closed")
        /// A write after `finish()` or a second `writeHead`.
        public static let invalidState = Code("invalid_state")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code.name): \(self.message)" }
}
