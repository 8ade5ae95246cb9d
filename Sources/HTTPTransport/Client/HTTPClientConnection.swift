import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// What both protocol handlers do for `HTTPClientConnection`, on the event loop.
protocol HTTPClientConnectionHandler: AnyObject {
    func start(_ exchange: HTTPClientExchange)
    func cancel(_ exchange: HTTPClientExchange)
}

/// One client connection to an HTTP server, over HTTP/2 (many requests at once, as streams)
/// or HTTP/1.1 (one at a time, the rest queued). Cleartext only.
public final class HTTPClientConnection: Sendable {
    public let `protocol`: HTTPClientProtocol
    private let channel: any Channel
    private let handler: NIOLoopBound<any HTTPClientConnectionHandler>
    private let state: ClientConnectionState
    private let authority: String

    private init(
        protocol: HTTPClientProtocol, channel: any Channel, handler: NIOLoopBound<any HTTPClientConnectionHandler>,
        state: ClientConnectionState, authority: String
    ) {
        self.protocol = `protocol`
        self.channel = channel
        self.handler = handler
        self.state = state
        self.authority = authority
    }

    /// Opens a TCP connection and sets up the protocol (HTTP/2 sends its preface at once).
    /// With `tls`, the TLS handshake (ALPN offering the protocol asked for) completes first.
    public static func connect(
        host: String, port: Int, protocol: HTTPClientProtocol, tls: TLSClientConfiguration? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(10)
    ) async throws(HTTPClientError) -> HTTPClientConnection {
        let tlsContext: OpenSSLContext?
        do {
            tlsContext = try tls.map { try OpenSSLContext(client: $0, applicationProtocols: [`protocol`.rawValue]) }
        } catch {
            throw HTTPClientError(.connectFailed, "TLS: \(error)")
        }
        let state = ClientConnectionState()
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout.timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tlsContext {
                        let ready = channel.eventLoop.makePromise(of: NIOLoopBound<any HTTPClientConnectionHandler>.self)
                        try sync.addHandler(
                            OpenSSLServerHandler(clientContext: tlsContext, serverName: host, logger: Self.tlsLogger))
                        try sync.addHandler(ClientTLSProtocolSelector(requested: `protocol`, state: state, ready: ready))
                        try sync.addHandler(ClientReadiness(ready: ready))
                    } else {
                        let handler = try Self.addProtocolHandlers(`protocol`, state: state, to: sync)
                        let ready = channel.eventLoop.makePromise(of: NIOLoopBound<any HTTPClientConnectionHandler>.self)
                        ready.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                        try sync.addHandler(ClientReadiness(ready: ready))
                    }
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw HTTPClientError(.connectFailed, "\(host):\(port): \(error)")
        }
        let handler: NIOLoopBound<any HTTPClientConnectionHandler>
        do {
            let readiness = try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: ClientReadiness.self).ready.futureResult
            }.get()
            handler = try await readiness.get()
        } catch {
            try? await channel.close()
            throw error as? HTTPClientError ?? HTTPClientError(.connectFailed, "\(host):\(port): \(error)")
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return HTTPClientConnection(protocol: `protocol`, channel: channel, handler: handler, state: state, authority: authority)
    }

    static let tlsLogger = Logger(label: "switchyard.client.tls")

    /// Adds the handlers of `protocol` at the end of the pipeline and returns the one that
    /// takes requests.
    static func addProtocolHandlers(
        _ protocol: HTTPClientProtocol, state: ClientConnectionState, to pipeline: ChannelPipeline.SynchronousOperations
    ) throws -> any HTTPClientConnectionHandler {
        switch `protocol` {
        case .http2:
            let handler = HTTP2ClientConnectionHandler(state: state)
            try pipeline.addHandler(handler)
            return handler
        case .http1:
            try pipeline.addHTTPClientHandlers()
            let handler = HTTP1ClientConnectionHandler(state: state)
            try pipeline.addHandler(handler)
            return handler
        }
    }

    /// Whether the connection still takes requests (a closed one fails every request at once).
    public var isActive: Bool { self.channel.isActive && self.state.isOpen }

    /// Sends `request` with `body` and hands the response to `onEvent` as it arrives, on the
    /// connection's event loop (keep the closure short). Returns when the response has ended;
    /// throws `HTTPClientError` when it cannot. Cancelling the calling task resets the stream
    /// (HTTP/2) or closes the connection (HTTP/1.1). The request's scheme and authority default
    /// to `http` and the connected host.
    public func execute(
        _ request: HTTPRequest, body: ByteBuffer = ByteBuffer(),
        onEvent: @escaping @Sendable (HTTPClientEvent) -> Void
    ) async throws(HTTPClientError) {
        var request = request
        if request.scheme == nil { request.scheme = "http" }
        if request.authority == nil { request.authority = self.authority }
        let eventLoop = self.channel.eventLoop
        let promise = eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        let sendableRequest = request
        // Created on the loop: the exchange is loop-bound from birth.
        let exchange = eventLoop.submit {
            let exchange = HTTPClientExchange(request: sendableRequest, body: body, onEvent: onEvent, promise: promise)
            onEvent(.requestStarted)
            handler.value.start(exchange)
            return NIOLoopBound(exchange, eventLoop: eventLoop)
        }
        // A loop that is shutting down never ran the submission: nothing else completes the promise.
        exchange.whenFailure { error in promise.fail(HTTPClientError(.connectionClosed, "\(error)")) }
        do {
            try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                exchange.whenSuccess { bound in handler.value.cancel(bound.value) }
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError(.connectionClosed, "\(error)")
        }
    }

    /// Closes the connection; requests still in flight fail with `.connectionClosed`.
    public func close() async {
        try? await self.channel.close()
    }
}

/// Holds the promise `connect` waits on: the protocol handler, ready once the pipeline is
/// complete (at once in cleartext, after the handshake with TLS). It does nothing else;
/// `connect` finds it by type.
final class ClientReadiness: ChannelInboundHandler {
    typealias InboundIn = Any

    let ready: EventLoopPromise<NIOLoopBound<any HTTPClientConnectionHandler>>

    init(ready: EventLoopPromise<NIOLoopBound<any HTTPClientConnectionHandler>>) {
        self.ready = ready
    }
}
