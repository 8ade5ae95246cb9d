import HTTPTypes
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
    private let authority: String

    private init(protocol: HTTPClientProtocol, channel: any Channel, handler: NIOLoopBound<any HTTPClientConnectionHandler>, authority: String) {
        self.protocol = `protocol`
        self.channel = channel
        self.handler = handler
        self.authority = authority
    }

    /// Opens a TCP connection and sets up the protocol (HTTP/2 sends its preface at once).
    public static func connect(
        host: String, port: Int, protocol: HTTPClientProtocol,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(10)
    ) async throws(HTTPClientError) -> HTTPClientConnection {
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout.timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    switch `protocol` {
                    case .http2:
                        try sync.addHandler(HTTP2ClientConnectionHandler())
                    case .http1:
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(HTTP1ClientConnectionHandler())
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
            handler = try await channel.eventLoop.submit {
                let sync = channel.pipeline.syncOperations
                let found: any HTTPClientConnectionHandler = switch `protocol` {
                case .http2: try sync.handler(type: HTTP2ClientConnectionHandler.self)
                case .http1: try sync.handler(type: HTTP1ClientConnectionHandler.self)
                }
                return NIOLoopBound(found, eventLoop: channel.eventLoop)
            }.get()
        } catch {
            try? await channel.close()
            throw HTTPClientError(.connectFailed, "\(host):\(port): \(error)")
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return HTTPClientConnection(protocol: `protocol`, channel: channel, handler: handler, authority: authority)
    }

    /// Whether the connection is still open (a closed one fails every request at once).
    public var isActive: Bool { self.channel.isActive }

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
