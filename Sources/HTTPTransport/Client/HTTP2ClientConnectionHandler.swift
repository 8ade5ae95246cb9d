import CNGHTTP2
import NIOCore

/// The client side of one HTTP/2 connection (prior knowledge): an nghttp2 client session fed
/// from the channel's reads and drained into its writes, with one exchange per stream.
/// nghttp2 holds requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS until a stream
/// frees up. Everything that touches the session runs on the channel's event loop.
final class HTTP2ClientConnectionHandler: ChannelInboundHandler, HTTPClientConnectionHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let state: ClientConnectionState
    private var session: OpaquePointer?
    private var context: ChannelHandlerContext?
    var exchanges: [Int32: HTTPClientExchange] = [:]
    private var readInProgress = false
    private var drainScheduled = false

    init(state: ClientConnectionState) {
        self.state = state
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        guard let session = NGHTTP2ClientSession.make(for: self) else {
            context.close(promise: nil)
            return
        }
        self.session = session
        // The connection preface and SETTINGS leave at once, before the first request.
        if context.channel.isActive { self.drain() }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.drain()
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown(HTTPClientError(.connectionClosed, "the HTTP/2 handler was removed"))
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown(HTTPClientError(.connectionClosed, "the server closed the connection"))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session = self.session else { return }
        self.readInProgress = true
        let bytes = Self.unwrapInboundIn(data)
        let result = bytes.withUnsafeReadableBytes { raw in
            nghttp2_session_mem_recv(session, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        if result < 0 {
            let message = String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: result)))
            self.tearDown(HTTPClientError(.protocolError, "nghttp2: \(message)"))
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readInProgress = false
        self.drain()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.drain() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.tearDown(HTTPClientError(.connectionClosed, "\(error)"))
        context.close(promise: nil)
    }

    // MARK: Requests

    func start(_ exchange: HTTPClientExchange) {
        guard let session = self.session, let context = self.context, context.channel.isActive else {
            exchange.fail(HTTPClientError(.connectionClosed, "the connection is closed"))
            return
        }
        var provider = nghttp2_data_provider(
            source: nghttp2_data_source(ptr: nil),
            read_callback: NGHTTP2ClientSession.readRequestData
        )
        let hasBody = exchange.body.readableBytes > 0
        let streamID = NGHTTP2HeaderList.withNameValuePairs(for: exchange.request) { pairs, count in
            hasBody
                ? nghttp2_submit_request(session, nil, pairs, count, &provider, nil)
                : nghttp2_submit_request(session, nil, pairs, count, nil, nil)
        }
        guard streamID > 0 else {
            let message = String(cString: nghttp2_strerror(streamID))
            exchange.fail(HTTPClientError(.protocolError, "nghttp2_submit_request: \(message)"))
            return
        }
        exchange.streamID = streamID
        self.exchanges[streamID] = exchange
        self.scheduleDrain()
    }

    func cancel(_ exchange: HTTPClientExchange) {
        exchange.fail(HTTPClientError(.cancelled, "the request was cancelled"))
        guard let session = self.session, exchange.streamID > 0, self.exchanges[exchange.streamID] != nil else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), exchange.streamID, NGHTTP2_CANCEL.rawValue)
        self.scheduleDrain()
    }

    // MARK: Session callbacks

    func bodyReceived(_ exchange: HTTPClientExchange, bytes: UnsafeRawBufferPointer) {
        guard let context = self.context else { return }
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        exchange.onEvent(.body(buffer))
    }

    func streamClosed(id: Int32, errorCode: UInt32) {
        guard let exchange = self.exchanges.removeValue(forKey: id) else { return }
        if errorCode == NGHTTP2_NO_ERROR.rawValue && exchange.headDelivered {
            exchange.succeed()
        } else {
            let name = String(cString: nghttp2_http2_strerror(errorCode))
            exchange.fail(HTTPClientError(.streamReset, "stream \(id) closed: \(name)"))
        }
    }

    func readRequestData(streamID: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let exchange = self.exchanges[streamID] else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, exchange.body.readableBytes)
        exchange.body.withUnsafeReadableBytes { source in
            if let base = source.baseAddress {
                UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: count)
            }
        }
        exchange.body.moveReaderIndex(forwardBy: count)
        if exchange.body.readableBytes == 0 {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        }
        return count
    }

    // MARK: Session I/O

    /// Moves everything nghttp2 has queued into one buffer and writes it with one flush;
    /// closes the connection once nghttp2 wants neither to read nor to write (after GOAWAY).
    private func drain() {
        guard let session = self.session, let context = self.context, context.channel.isActive else { return }
        var out: ByteBuffer?
        if context.channel.isWritable {
            while true {
                var chunk: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &chunk)
                if count < 0 {
                    self.tearDown(HTTPClientError(.protocolError, "nghttp2_session_mem_send failed (\(count))"))
                    context.close(promise: nil)
                    return
                }
                guard count > 0, let chunk else { break }
                if out == nil { out = context.channel.allocator.buffer(capacity: max(count, 4096)) }
                out?.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
            }
        }
        if let out {
            context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
        }
        if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
            self.state.markClosed()
            context.close(promise: nil)
        }
    }

    /// Drains after the current batch of submissions, so several requests share a flush.
    private func scheduleDrain() {
        guard !self.readInProgress, !self.drainScheduled, let context = self.context else { return }
        self.drainScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.drainScheduled = false
            bound.value.drain()
        }
    }

    private func tearDown(_ error: HTTPClientError) {
        self.state.markClosed()
        let exchanges = self.exchanges
        self.exchanges = [:]
        for exchange in exchanges.values {
            exchange.fail(error)
        }
        if let session = self.session {
            self.session = nil
            nghttp2_session_del(session)
        }
    }
}
