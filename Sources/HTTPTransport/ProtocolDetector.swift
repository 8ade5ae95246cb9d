import NIOCore

/// Reads a cleartext connection's first bytes and installs the protocol they announce:
/// the HTTP/2 client preface (`PRI * HTTP/2.0…`) selects HTTP/2, anything else HTTP/1.1.
/// A connection that starts like the preface but breaks it goes to nghttp2, which answers
/// with GOAWAY.
final class ProtocolDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Enough of the preface to tell it from any HTTP/1.1 method ("PRI " is no real method).
    private static let prefix: [UInt8] = Array("PRI ".utf8)

    private let pipeline: HTTPConnectionPipeline
    private let isSecure: Bool
    private var buffered: ByteBuffer?
    private var timeout: Scheduled<Void>?

    init(pipeline: HTTPConnectionPipeline, isSecure: Bool) {
        self.pipeline = pipeline
        self.isSecure = isSecure
    }

    /// A connection that never says enough to pick a protocol is closed after the header
    /// read timeout, like one that never finishes its first request head.
    func handlerAdded(context: ChannelHandlerContext) {
        self.timeout = context.closeAfter(self.pipeline.configuration.headerReadTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timeout?.cancel()
        self.timeout = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        if var buffered = self.buffered {
            buffered.writeBuffer(&bytes)
            bytes = buffered
        }
        let count = min(bytes.readableBytes, Self.prefix.count)
        guard let start = bytes.getBytes(at: bytes.readerIndex, length: count) else { return }
        let isHTTP2: Bool
        if start == Array(Self.prefix[0..<count]) {
            guard count == Self.prefix.count else {
                self.buffered = bytes
                return
            }
            isHTTP2 = true
        } else {
            isHTTP2 = false
        }
        self.buffered = nil
        do {
            let sync = context.pipeline.syncOperations
            if isHTTP2 {
                try self.pipeline.addHTTP2(to: sync, isSecure: self.isSecure)
            } else {
                try self.pipeline.addHTTP1(to: sync, isSecure: self.isSecure)
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(Self.wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
