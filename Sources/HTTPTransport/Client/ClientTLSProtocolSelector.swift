import NIOCore

/// After the TLS handler on a client connection: waits for the handshake, installs the
/// protocol handler (the one asked for, which is also the only one ALPN offered), completes
/// `ready` with it and leaves the pipeline. A connection that closes first fails `ready`.
final class ClientTLSProtocolSelector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let requested: HTTPClientProtocol
    private let state: ClientConnectionState
    private let ready: EventLoopPromise<NIOLoopBound<any HTTPClientConnectionHandler>>
    /// `ready` was completed; a close after a failure must not complete it again.
    private var settled = false

    init(
        requested: HTTPClientProtocol, state: ClientConnectionState,
        ready: EventLoopPromise<NIOLoopBound<any HTTPClientConnectionHandler>>
    ) {
        self.requested = requested
        self.state = state
        self.ready = ready
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.settled = true
        if let negotiated = completed.negotiatedProtocol, negotiated != self.requested.rawValue {
            self.ready.fail(HTTPClientError(.protocolError, "the server chose \(negotiated) over \(self.requested.rawValue)"))
            context.close(promise: nil)
            return
        }
        do {
            let handler = try HTTPClientConnection.addProtocolHandlers(
                self.requested, state: self.state, to: context.pipeline.syncOperations)
            self.ready.succeed(NIOLoopBound(handler, eventLoop: context.eventLoop))
        } catch {
            self.ready.fail(HTTPClientError(.protocolError, "\(error)"))
            context.close(promise: nil)
            return
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.settled {
            self.settled = true
            self.ready.fail(HTTPClientError(.connectFailed, "the connection closed during the TLS handshake"))
        }
        context.fireChannelInactive()
    }
}
