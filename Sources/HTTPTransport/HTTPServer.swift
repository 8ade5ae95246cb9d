import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The HTTP/2 and HTTP/1.1 server in front of an `HTTPRequestHandler`.
public final class HTTPServer: Sendable {
    private struct State {
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    public let configuration: HTTPServerConfiguration
    private let handler: any HTTPRequestHandler
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let lifecycle = ServerLifecycle()
    private let state = Mutex(State())

    public init(
        configuration: HTTPServerConfiguration,
        handler: any HTTPRequestHandler,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.handler = handler
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Requests whose handler task is running, on every connection of this server.
    public var activeStreamCount: Int { self.lifecycle.activeStreamCount }

    /// Binds the listener and returns its address (with the real port when the configured one is 0).
    public func start() async throws -> SocketAddress {
        let connectionPipeline = HTTPConnectionPipeline(
            configuration: self.configuration,
            handler: self.handler,
            lifecycle: self.lifecycle,
            logger: self.logger
        )
        let tls = try self.configuration.tls.map { try TLSConnectionSetup(configuration: $0, logger: self.logger) }
        let channel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard self.register(channel) else {
                        throw HTTPTransportError(.streamClosed, "the server is shutting down")
                    }
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try tls.addHandlers(to: sync, pipeline: connectionPipeline)
                    } else {
                        try sync.addHandler(ProtocolDetector(pipeline: connectionPipeline, isSecure: false))
                    }
                }
            }
            .bind(host: self.configuration.host, port: self.configuration.port)
            .get()
        self.state.withLock { $0.serverChannel = channel }
        guard let address = channel.localAddress else {
            throw HTTPTransportError(.invalidState, "the listener has no local address")
        }
        self.logger.info("listening", metadata: ["address": "\(address)", "tls": "\(self.configuration.tls != nil)"])
        return address
    }

    /// Stops accepting, asks every connection to finish what it has (GOAWAY on HTTP/2,
    /// `connection: close` on HTTP/1.1), waits up to the grace period, then closes the rest.
    public func shutdown() async {
        let (serverChannel, connections) = self.state.withLock { state in
            state.shuttingDown = true
            return (state.serverChannel, Array(state.connections.values))
        }
        self.lifecycle.beginQuiescing()
        try? await serverChannel?.close()
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let grace = self.configuration.shutdownGracePeriod
        await withTaskGroup(of: Void.self) { group in
            // Polls rather than awaiting close futures, which ignore cancellation: when the
            // grace period ends first, this task must stop with it.
            group.addTask {
                while !Task.isCancelled, !self.state.withLock({ $0.connections.isEmpty }) {
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            group.addTask {
                try? await Task.sleep(for: grace)
            }
            await group.next()
            group.cancelAll()
        }
        let remaining = self.state.withLock { Array($0.connections.values) }
        for connection in remaining {
            try? await connection.close()
        }
        for connection in remaining {
            try? await connection.closeFuture.get()
        }
    }

    /// Tracks a new connection until it closes; refuses it once shutdown has begun.
    private func register(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let accepted = self.state.withLock { state -> Bool in
            guard !state.shuttingDown else { return false }
            state.connections[id] = channel
            return true
        }
        guard accepted else { return false }
        channel.closeFuture.whenComplete { [self] _ in
            _ = self.state.withLock { $0.connections.removeValue(forKey: id) }
        }
        return true
    }
}
