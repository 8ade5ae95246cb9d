import Logging
import NIOCore

/// Puts TLS first in a connection's pipeline and lets ALPN choose what follows it. The
/// OpenSSL context (certificate, key, ALPN list) is loaded once, when the server starts.
struct TLSConnectionSetup: Sendable {
    private let context: OpenSSLContext
    private let logger: Logger

    init(configuration: TLSConfiguration, logger: Logger) throws {
        self.context = try OpenSSLContext(configuration: configuration)
        self.logger = logger
    }

    func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, pipeline connectionPipeline: HTTPConnectionPipeline) throws {
        try pipeline.addHandler(OpenSSLServerHandler(context: self.context, logger: self.logger))
        try pipeline.addHandler(ALPNProtocolSelector(pipeline: connectionPipeline))
    }
}

/// Waits for the TLS handshake and installs the protocol ALPN negotiated: h2 → HTTP/2,
/// http/1.1 → HTTP/1.1, none → decided by the first bytes as on a cleartext port.
final class ALPNProtocolSelector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let pipeline: HTTPConnectionPipeline
    private var timeout: Scheduled<Void>?

    init(pipeline: HTTPConnectionPipeline) {
        self.pipeline = pipeline
    }

    /// A handshake that does not complete within the header read timeout closes the connection.
    func handlerAdded(context: ChannelHandlerContext) {
        self.timeout = context.closeAfter(self.pipeline.configuration.headerReadTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timeout?.cancel()
        self.timeout = nil
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
