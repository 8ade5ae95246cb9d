import HTTPTransport
import NIOCore
import NIOPosix

/// Where a load client sends its requests and how.
public struct LoadClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var `protocol`: HTTPClientProtocol
    /// HTTPS when set (ALPN offers the protocol above); cleartext otherwise.
    public var tls: TLSClientConfiguration?
    /// Connections opened (lazily) and used in turn; HTTP/2 multiplexes streams on each,
    /// HTTP/1.1 runs one request at a time on each.
    public var connections: Int
    /// A request still unanswered after this long is cancelled and recorded as `timeout`.
    public var requestTimeout: Duration
    /// Extra request header fields (an API key, say), sent with every request.
    public var headers: [(name: String, value: String)]
    /// The event loops the connections run on. A client in the same process as the server
    /// it measures (tests) should have its own, as a separate load-generator process would.
    public var eventLoopGroup: any EventLoopGroup

    public init(
        host: String = "127.0.0.1", port: Int, protocol: HTTPClientProtocol = .http2, tls: TLSClientConfiguration? = nil,
        connections: Int = 1,
        requestTimeout: Duration = .seconds(60), headers: [(name: String, value: String)] = [],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.protocol = `protocol`
        self.tls = tls
        self.connections = max(1, connections)
        self.requestTimeout = requestTimeout
        self.headers = headers
        self.eventLoopGroup = eventLoopGroup
    }
}
