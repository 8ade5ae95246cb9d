import NIOCore

/// Where a server listens and the limits it enforces on every connection.
public struct HTTPServerConfiguration: Sendable {
    public var host: String
    /// 0 asks the system for an ephemeral port; `HTTPServer.start()` returns the bound one.
    public var port: Int
    /// TLS with ALPN (h2, http/1.1); nil serves cleartext, where the first bytes pick the protocol.
    public var tls: TLSConfiguration?
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised to HTTP/2 clients.
    public var maxConcurrentStreams: Int
    /// Largest request header section (bytes, counted as RFC 9113 §6.5.2 does); larger gets 431.
    public var maxHeaderListSize: Int
    /// SETTINGS_INITIAL_WINDOW_SIZE for request bodies on HTTP/2 streams.
    public var initialWindowSize: Int
    /// Largest request body; larger gets the handler's `.bodyTooLarge` response (413).
    public var maxBodySize: Int
    /// Time allowed for a request's header section once a connection or request has begun.
    public var headerReadTimeout: Duration
    /// A connection with no request in flight for this long is closed (GOAWAY first on HTTP/2).
    public var idleTimeout: Duration
    /// How long `HTTPServer.shutdown()` lets in-flight requests run before closing everything.
    public var shutdownGracePeriod: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        tls: TLSConfiguration? = nil,
        maxConcurrentStreams: Int = 128,
        maxHeaderListSize: Int = 16 * 1024,
        initialWindowSize: Int = 65_535,
        maxBodySize: Int = 1024 * 1024,
        headerReadTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        shutdownGracePeriod: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxHeaderListSize = maxHeaderListSize
        self.initialWindowSize = initialWindowSize
        self.maxBodySize = maxBodySize
        self.headerReadTimeout = headerReadTimeout
        self.idleTimeout = idleTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}

extension Duration {
    /// The same span as NIO's `TimeAmount`, for scheduling timers on an event loop.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = self.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
