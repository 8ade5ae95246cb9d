import NIOCore

/// Puts TLS first in a connection's pipeline and lets ALPN choose what follows it.
struct TLSConnectionSetup: Sendable {
    init(configuration: TLSConfiguration) throws {
        throw HTTPTransportError(.invalidState, "TLS is not available in this build")
    }

    func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, pipeline connectionPipeline: HTTPConnectionPipeline) throws {
        try pipeline.addHandler(ALPNProtocolSelector(pipeline: connectionPipeline))
    }
}

/// Waits for the TLS handshake and installs the protocol ALPN negotiated: h2 → HTTP/2,
/// http/1.1 → HTTP/1.1, none → decided by the first bytes as on a cleartext port.
final class ALPNProtocolSelector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let pipeline: HTTPConnectionPipeline

    init(pipeline: HTTPConnectionPipeline) {
        self.pipeline = pipeline
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        do {
            let sync = context.pipeline.syncOperations
            switch completed.negotiatedProtocol {
            case "h2":
                try self.pipeline.addHTTP2(to: sync, isSecure: true)
            case "http/1.1":
                try self.pipeline.addHTTP1(to: sync, isSecure: true)
            default:
                try sync.addHandler(ProtocolDetector(pipeline: self.pipeline, isSecure: true))
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
