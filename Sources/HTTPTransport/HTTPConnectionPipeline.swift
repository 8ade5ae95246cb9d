import Logging
import NIOCore
import NIOHTTP1

/// Builds a connection's pipeline once its protocol is known: HTTP/2 (one nghttp2 session)
/// or HTTP/1.1 (NIO's codec with pipelining assistance), for cleartext and TLS alike.
struct HTTPConnectionPipeline: Sendable {
    let configuration: HTTPServerConfiguration
    let handler: any HTTPRequestHandler
    let lifecycle: ServerLifecycle
    let logger: Logger

    func addHTTP2(to pipeline: ChannelPipeline.SynchronousOperations, isSecure: Bool) throws {
        try pipeline.addHandler(self.makeHTTP2Handler(isSecure: isSecure, upgrade: nil))
    }

    func addHTTP1(to pipeline: ChannelPipeline.SynchronousOperations, isSecure: Bool) throws {
        let observer = HTTP1ReadObserver()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let encoder = HTTPResponseEncoder()
        let pipelining = HTTPServerPipelineHandler()
        let errors = HTTPServerProtocolErrorHandler()
        let connection = HTTP1ConnectionHandler(
            configuration: self.configuration,
            handler: self.handler,
            lifecycle: self.lifecycle,
            logger: self.logger,
            isSecure: isSecure
        )
        observer.connection = connection
        connection.observer = observer
        try pipeline.addHandlers([observer, decoder, encoder, pipelining, errors, connection])
        guard !isSecure else { return }
        connection.switchToHTTP2 = { [weak connection] upgrade in
            guard let connection else { return }
            // The outbound HTTP/1 handlers leave before HTTP/2 writes its first frame; the
            // decoder leaves last, forwarding the bytes it holds beyond the request (the
            // client's preface) to the HTTP/2 handler.
            pipeline.removeHandler(connection, promise: nil)
            pipeline.removeHandler(errors, promise: nil)
            pipeline.removeHandler(pipelining, promise: nil)
            pipeline.removeHandler(encoder, promise: nil)
            do {
                try pipeline.addHandler(self.makeHTTP2Handler(isSecure: false, upgrade: upgrade))
            } catch {
                self.logger.debug("h2c upgrade failed", metadata: ["error": "\(error)"])
                pipeline.fireErrorCaught(error)
                return
            }
            pipeline.removeHandler(observer, promise: nil)
            pipeline.removeHandler(decoder, promise: nil)
        }
    }

    private func makeHTTP2Handler(isSecure: Bool, upgrade: HTTP2ConnectionHandler.Upgrade?) -> HTTP2ConnectionHandler {
        HTTP2ConnectionHandler(
            configuration: self.configuration,
            handler: self.handler,
            lifecycle: self.lifecycle,
            logger: self.logger,
            isSecure: isSecure,
            upgrade: upgrade
        )
    }
}
