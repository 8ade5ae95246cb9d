import CNGHTTP2
import HTTPTypes
import Logging
import NIOCore

/// One HTTP/2 connection: an nghttp2 server session fed from the channel's reads and drained
/// into its writes. nghttp2 owns framing, HPACK, stream states and flow control; this handler
/// turns complete requests into handler tasks and their writers' bytes into DATA frames.
/// Everything that touches the session runs on the channel's event loop.
final class HTTP2ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request that arrived as HTTP/1.1 with `Upgrade: h2c`; it becomes stream 1.
    struct Upgrade {
        var settingsPayload: [UInt8]
        var request: HTTPServerRequest
    }

    let configuration: HTTPServerConfiguration
    let handler: any HTTPRequestHandler
    let lifecycle: ServerLifecycle
    let logger: Logger
    let isSecure: Bool
    private var upgrade: Upgrade?

    private var session: OpaquePointer?
    private(set) var streams: [Int32: HTTP2Stream] = [:]
    /// The stream `stream(_:)` found last: nghttp2's callbacks ask for one stream many times
    /// in a row (each header field, the frame, the response), so it is checked before hashing.
    private var lastStream: HTTP2Stream?
    /// Closed streams kept for the next ones (at most `maxSpareStreams`).
    private var spareStreams: [HTTP2Stream] = []
    private static let maxSpareStreams = 32
    private var context: ChannelHandlerContext?
    private var remoteAddress: SocketAddress?
    private var readInProgress = false
    private var drainScheduled = false
    private var headerTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    /// When the connection last became idle (no streams); nil while streams are open.
    private var idleSince: NIODeadline?
    private var taskExecutor: EventLoopTaskExecutor?

    init(
        configuration: HTTPServerConfiguration,
        handler: any HTTPRequestHandler,
        lifecycle: ServerLifecycle,
        logger: Logger,
        isSecure: Bool,
        upgrade: Upgrade? = nil
    ) {
        self.configuration = configuration
        self.handler = handler
        self.lifecycle = lifecycle
        self.logger = logger
        self.isSecure = isSecure
        self.upgrade = upgrade
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.remoteAddress = context.channel.remoteAddress
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        guard let session = NGHTTP2ServerSession.make(for: self, configuration: self.configuration) else {
            self.logger.error("nghttp2 session could not be created")
            context.close(promise: nil)
            return
        }
        self.session = session
        if let upgrade = self.upgrade {
            self.upgrade = nil
            self.acceptUpgrade(upgrade, session: session)
        } else {
            self.armHeaderTimer(context: context)
        }
        self.drain()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
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
            self.failSession(errorCode: Int32(truncatingIfNeeded: result))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readInProgress = false
        self.drain()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.drain()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.goAway(terminate: false)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Session I/O

    /// Moves everything nghttp2 has queued into one buffer and writes it with one flush.
    /// Closes the connection once nghttp2 wants neither to read nor to write.
    func drain() {
        guard let session = self.session, let context = self.context else { return }
        guard context.channel.isActive else { return }
        var out: ByteBuffer?
        if context.channel.isWritable {
            while true {
                var chunk: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &chunk)
                if count < 0 {
                    self.logger.debug("nghttp2_session_mem_send failed", metadata: ["code": "\(count)"])
                    context.close(promise: nil)
                    return
                }
                guard count > 0, let chunk else { break }
                let bytes = UnsafeRawBufferPointer(start: chunk, count: count)
                if out == nil {
                    out = context.channel.allocator.buffer(capacity: max(count, 16_384))
                }
                out?.writeBytes(bytes)
            }
        }
        if let out {
            context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
        }
        if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
            context.close(promise: nil)
        }
    }

    /// Drains after the current batch of writer calls, so several writers' bytes share a flush.
    func scheduleDrain() {
        guard !self.readInProgress, !self.drainScheduled, let context = self.context else { return }
        self.drainScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.drainScheduled = false
            bound.value.drain()
        }
    }

    private func failSession(errorCode: Int32) {
        guard let session = self.session else { return }
        self.logger.debug("HTTP/2 session failed", metadata: ["code": "\(errorCode)"])
        if errorCode == NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue {
            nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
            self.drain()
        }
        self.context?.close(promise: nil)
    }

    /// Sends GOAWAY. `terminate` ends the connection once it is written; otherwise streams
    /// already accepted finish first (graceful shutdown).
    func goAway(terminate: Bool) {
        guard let session = self.session else { return }
        if terminate {
            nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        } else {
            let lastStreamID = nghttp2_session_get_last_proc_stream_id(session)
            nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, NGHTTP2_NO_ERROR.rawValue, nil, 0)
        }
        self.drain()
    }

    private func tearDown() {
        self.headerTimer?.cancel()
        self.headerTimer = nil
        self.idleTimer?.cancel()
        self.idleTimer = nil
        let streams = self.streams
        self.streams = [:]
        self.lastStream = nil
        self.spareStreams = []
        for stream in streams.values {
            stream.writerState?.markClosed()
            stream.failPendingWrites()
            stream.task?.cancel()
        }
        if let session = self.session {
            self.session = nil
            nghttp2_session_del(session)
        }
    }

    // MARK: Timers

    private func armHeaderTimer(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.headerTimer = context.eventLoop.scheduleTask(in: self.configuration.headerReadTimeout.timeAmount) {
            bound.value.logger.debug("HTTP/2 header read timeout")
            bound.value.goAway(terminate: true)
        }
    }

    /// Notes when the connection became idle and makes sure a timer will look at it. A timer
    /// already running is kept: it finds the later time when it fires and waits on from there,
    /// so a connection that goes idle after every request does not schedule and cancel a
    /// timer each time.
    private func armIdleTimerIfIdle() {
        guard self.streams.isEmpty, let context = self.context else { return }
        let now = NIODeadline.now()
        self.idleSince = now
        if self.idleTimer == nil {
            self.scheduleIdleCheck(at: now + self.configuration.idleTimeout.timeAmount, context: context)
        }
    }

    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            bound.value.idleTimer = nil
            bound.value.idleCheck()
        }
    }

    /// GOAWAY once the connection has been idle for the whole timeout; a connection busy now
    /// arms a new timer when it next goes idle.
    private func idleCheck() {
        guard let idleSince = self.idleSince, self.streams.isEmpty, let context = self.context else { return }
        let deadline = idleSince + self.configuration.idleTimeout.timeAmount
        if deadline <= .now() {
            self.goAway(terminate: true)
        } else {
            self.scheduleIdleCheck(at: deadline, context: context)
        }
    }

    // MARK: Streams (called from the nghttp2 callbacks)

    func beginStream(id: Int32) {
        self.headerTimer?.cancel()
        self.headerTimer = nil
        self.idleSince = nil
        let stream: HTTP2Stream
        if let spare = self.spareStreams.popLast() {
            spare.reuse(id: id)
            stream = spare
        } else {
            stream = HTTP2Stream(id: id)
        }
        self.streams[id] = stream
        self.lastStream = stream
    }

    func stream(_ id: Int32) -> HTTP2Stream? {
        if let last = self.lastStream, last.id == id { return last }
        let found = self.streams[id]
        self.lastStream = found
        return found
    }

    func streamClosed(id: Int32) {
        if self.lastStream?.id == id { self.lastStream = nil }
        guard var stream = self.streams.removeValue(forKey: id) else { return }
        stream.writerState?.markClosed()
        stream.failPendingWrites()
        stream.task?.cancel()
        // Only a stream nothing else holds may be handed out again.
        if self.spareStreams.count < Self.maxSpareStreams, isKnownUniquelyReferenced(&stream) {
            self.spareStreams.append(stream)
        }
        self.armIdleTimerIfIdle()
    }

    /// The request's header section is complete.
    func headersReceived(stream: HTTP2Stream, endStream: Bool) {
        if stream.headerListSize > self.configuration.maxHeaderListSize {
            self.reject(stream, head: HTTPResponse(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large")), body: ByteBuffer())
            return
        }
        if let declared = stream.fields.value(of: .contentLength).flatMap({ Int($0) }), declared > self.configuration.maxBodySize {
            self.rejectBodyTooLarge(stream)
            return
        }
        if endStream {
            self.startHandler(for: stream)
        }
    }

    func bodyReceived(stream: HTTP2Stream, bytes: UnsafeRawBufferPointer) {
        guard !stream.rejected else { return }
        guard stream.body.readableBytes + bytes.count <= self.configuration.maxBodySize else {
            self.rejectBodyTooLarge(stream)
            return
        }
        stream.body.writeBytes(bytes)
    }

    func requestEnded(stream: HTTP2Stream) {
        self.startHandler(for: stream)
    }

    private func rejectBodyTooLarge(_ stream: HTTP2Stream) {
        let (head, body) = self.handler.response(for: .bodyTooLarge(limit: self.configuration.maxBodySize))
        self.reject(stream, head: head, body: body)
    }

    /// Answers the stream without the handler and ignores the rest of its request.
    private func reject(_ stream: HTTP2Stream, head: HTTPResponse, body: ByteBuffer) {
        guard !stream.rejected, stream.writerState == nil else { return }
        stream.rejected = true
        stream.body = ByteBuffer()
        stream.fields = HTTPFields()
        self.respondWhole(stream, head: head, body: body)
    }

    /// Queues a whole response: nghttp2 sends it as the stream's windows allow, no writer waits.
    private func respondWhole(_ stream: HTTP2Stream, head: HTTPResponse, body: ByteBuffer) {
        if body.readableBytes > 0 {
            stream.queuedBytes += body.readableBytes
            stream.outbound.append(.init(bytes: body, continuation: nil))
        }
        stream.endQueued = true
        self.submitResponse(streamID: stream.id, head: head)
    }

    private func startHandler(for stream: HTTP2Stream) {
        guard !stream.rejected, stream.writerState == nil else { return }
        guard let head = stream.makeRequestHead() else {
            self.resetStream(stream.id, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue)
            return
        }
        let request = HTTPServerRequest(
            head: head,
            body: stream.body,
            protocolVersion: .http2,
            isSecure: self.isSecure,
            remoteAddress: self.remoteAddress
        )
        stream.body = ByteBuffer()
        // A response the handler can make at once leaves without a task or a writer.
        if let (head, body) = self.handler.immediateResponse(to: request) {
            self.respondWhole(stream, head: head, body: body)
            return
        }
        self.run(request, on: stream)
    }

    private func run(_ request: HTTPServerRequest, on stream: HTTP2Stream) {
        guard let context = self.context, let executor = self.taskExecutor else { return }
        let state = ResponseWriterState()
        stream.writerState = state
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        let writer = HTTP2ResponseWriter(streamID: stream.id, state: state, connection: connection)
        let handler = self.handler
        let lifecycle = self.lifecycle
        let streamID = stream.id
        lifecycle.requestStarted()
        // The handler runs here, inside the read that completed its request, until its first
        // suspension: a response that needs no waiting (echo, errors, health) is queued before
        // this returns and leaves with the read's drain, without a task switch.
        let task = Task.immediate(executorPreference: executor) {
            await handler.handle(request, writer: writer)
            lifecycle.requestEnded()
            connection.withValueOnLoop { connection in
                connection.handlerReturned(streamID: streamID)
            }
        }
        stream.task = task
    }

    private func acceptUpgrade(_ upgrade: Upgrade, session: OpaquePointer) {
        let isHead = upgrade.request.head.method == .head ? Int32(1) : Int32(0)
        let result = upgrade.settingsPayload.withUnsafeBufferPointer { payload in
            nghttp2_session_upgrade2(session, payload.baseAddress, payload.count, isHead, nil)
        }
        guard result == 0 else {
            self.logger.debug("h2c upgrade refused by nghttp2", metadata: ["code": "\(result)"])
            nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
            return
        }
        let stream = HTTP2Stream(id: 1)
        self.streams[1] = stream
        var request = upgrade.request
        request.protocolVersion = .http2
        self.run(request, on: stream)
    }

    private func resetStream(_ id: Int32, errorCode: UInt32) {
        guard let session = self.session else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, errorCode)
        self.scheduleDrain()
    }

    // MARK: Writer operations (hopped onto the event loop)

    func submitResponse(streamID: Int32, head: HTTPResponse) {
        guard let session = self.session, let stream = self.stream(streamID), !stream.responseSubmitted else { return }
        stream.responseSubmitted = true
        var provider = nghttp2_data_provider(
            source: nghttp2_data_source(ptr: nil),
            read_callback: NGHTTP2ServerSession.readResponseData
        )
        let result = NGHTTP2HeaderList.withNameValuePairs(for: head) { pairs, count in
            nghttp2_submit_response(session, streamID, pairs, count, &provider)
        }
        if result != 0 {
            self.logger.debug("nghttp2_submit_response failed", metadata: ["code": "\(result)"])
            self.resetStream(streamID, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue)
            return
        }
        self.scheduleDrain()
    }

    func enqueue(_ bytes: ByteBuffer, streamID: Int32, continuation: CheckedContinuation<Void, any Error>) {
        guard let stream = self.stream(streamID) else {
            continuation.resume(throwing: HTTPTransportError(.streamClosed, "the stream was closed"))
            return
        }
        // Bytes that fit the stream's and the connection's send windows will leave with the
        // next drain, so the writer goes on at once; beyond the windows it waits for nghttp2
        // to take them, which paces it by its own stream's flow control.
        stream.queuedBytes += bytes.readableBytes
        if let session = self.session, stream.queuedBytes <= Self.sendWindow(of: stream.id, in: session) {
            continuation.resume()
            stream.outbound.append(.init(bytes: bytes, continuation: nil))
        } else {
            stream.outbound.append(.init(bytes: bytes, continuation: continuation))
        }
        self.resumeData(stream)
    }

    /// Queues `bytes` when they fit the stream's and the connection's send windows, like
    /// `enqueue`'s fast path; `false` when the writer must wait (nothing is queued then).
    func enqueueWithinWindow(_ bytes: ByteBuffer, streamID: Int32) throws(HTTPTransportError) -> Bool {
        guard let stream = self.stream(streamID), let session = self.session else {
            throw HTTPTransportError(.streamClosed, "the stream was closed")
        }
        guard stream.queuedBytes + bytes.readableBytes <= Self.sendWindow(of: stream.id, in: session) else {
            return false
        }
        stream.queuedBytes += bytes.readableBytes
        stream.outbound.append(.init(bytes: bytes, continuation: nil))
        self.resumeData(stream)
        return true
    }

    /// A whole response whose body fits the send windows: body and end are queued, then the
    /// head submitted. `false` when the body must wait for the windows (nothing is done then).
    func submitWholeResponse(_ head: HTTPResponse, body: ByteBuffer, streamID: Int32) throws(HTTPTransportError) -> Bool {
        guard let stream = self.stream(streamID), let session = self.session else {
            throw HTTPTransportError(.streamClosed, "the stream was closed")
        }
        guard body.readableBytes <= Self.sendWindow(of: streamID, in: session) else { return false }
        self.respondWhole(stream, head: head, body: body)
        return true
    }

    private static func sendWindow(of streamID: Int32, in session: OpaquePointer) -> Int {
        let stream = Int(nghttp2_session_get_stream_remote_window_size(session, streamID))
        let connection = Int(nghttp2_session_get_remote_window_size(session))
        return max(0, min(stream, connection))
    }

    func enqueueEnd(streamID: Int32) {
        guard let stream = self.stream(streamID) else { return }
        stream.endQueued = true
        self.resumeData(stream)
    }

    private func resumeData(_ stream: HTTP2Stream) {
        guard let session = self.session else { return }
        if stream.deferred {
            stream.deferred = false
            nghttp2_session_resume_data(session, stream.id)
        }
        self.scheduleDrain()
    }

    /// The handler's task returned. A response it left unfinished is reset.
    func handlerReturned(streamID: Int32) {
        guard let stream = self.stream(streamID), let state = stream.writerState else { return }
        if !state.isFinished {
            state.markClosed()
            stream.failPendingWrites()
            self.resetStream(streamID, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue)
        }
    }

    /// nghttp2 asks for up to `length` bytes of a stream's response body.
    func readResponseData(streamID: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let stream = self.stream(streamID) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        var written = 0
        while written < length, var pending = stream.outbound.first {
            let count = min(length - written, pending.bytes.readableBytes)
            pending.bytes.withUnsafeReadableBytes { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(buffer + written).copyMemory(from: base, byteCount: count)
                }
            }
            pending.bytes.moveReaderIndex(forwardBy: count)
            stream.queuedBytes -= count
            written += count
            if pending.bytes.readableBytes == 0 {
                stream.outbound.removeFirst()
                pending.continuation?.resume()
            } else {
                stream.outbound[stream.outbound.startIndex] = pending
            }
        }
        if stream.outbound.isEmpty && stream.endQueued {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return written
        }
        if written == 0 {
            stream.deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        return written
    }
}
