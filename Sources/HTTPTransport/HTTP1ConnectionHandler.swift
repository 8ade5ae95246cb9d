import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1

/// Serves HTTP/1.1 requests one at a time (NIO's `HTTPServerPipelineHandler` in front holds
/// pipelined ones back): collects the body under the size limit, runs the handler in a task,
/// and switches the connection to HTTP/2 when the request asks for `Upgrade: h2c`.
final class HTTP1ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Hands the connection to HTTP/2 after the 101 response (removes the HTTP/1 handlers).
    typealias SwitchToHTTP2 = (HTTP2ConnectionHandler.Upgrade) -> Void

    private struct Exchange {
        var number: Int
        var state: ResponseWriterState
        var task: Task<Void, Never>?
    }

    private let configuration: HTTPServerConfiguration
    private let handler: any HTTPRequestHandler
    private let lifecycle: ServerLifecycle
    private let logger: Logger
    private let isSecure: Bool
    var switchToHTTP2: SwitchToHTTP2?
    weak var observer: HTTP1ReadObserver?

    private var context: ChannelHandlerContext?
    private var requestNumber = 0
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// The transport already answered this request (413); the rest of it is dropped.
    private var rejected = false
    private var keepAlive = true
    private var exchange: Exchange?
    private var waitingForWritability: CheckedContinuation<Void, any Error>?
    /// What the connection waits for, and until when. One timer serves both: it is scheduled
    /// only when a deadline comes before the one it is set for, and when it fires it acts on
    /// the deadline set now or aims itself at it. Scheduling and cancelling a timer for each
    /// request's header and idle time was ~7% of an HTTP/1.1 request's CPU (profiled).
    private enum Wait {
        case nothing
        case header(until: NIODeadline)
        case idle(until: NIODeadline)
    }
    private var wait = Wait.nothing
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var taskExecutor: EventLoopTaskExecutor?

    init(
        configuration: HTTPServerConfiguration,
        handler: any HTTPRequestHandler,
        lifecycle: ServerLifecycle,
        logger: Logger,
        isSecure: Bool
    ) {
        self.configuration = configuration
        self.handler = handler
        self.lifecycle = lifecycle
        self.logger = logger
        self.isSecure = isSecure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        // The connection's first bytes have arrived already: the first head is due now.
        self.awaitHeader()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimers()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimers()
        if let exchange = self.exchange {
            self.exchange = nil
            exchange.state.markClosed()
            exchange.task?.cancel()
        }
        self.waitingForWritability?.resume(throwing: HTTPTransportError(.streamClosed, "the connection was closed"))
        self.waitingForWritability = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let waiting = self.waitingForWritability {
            self.waitingForWritability = nil
            waiting.resume()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Raw bytes arrived (seen by `HTTP1ReadObserver` before the decoder). Bytes on an idle
    /// connection start a request, so its head must now arrive within the header timeout.
    func bytesArrived() {
        guard self.head == nil, self.exchange == nil else { return }
        if case .header = self.wait { return }
        self.awaitHeader()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.wait = .nothing
            self.requestNumber += 1
            self.head = head
            self.body.clear()
            self.rejected = false
            self.keepAlive = head.isKeepAlive
            if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }),
                declared > self.configuration.maxBodySize
            {
                self.rejectBodyTooLarge(context: context)
            }
        case .body(let part):
            guard !self.rejected else { return }
            guard self.body.readableBytes + part.readableBytes <= self.configuration.maxBodySize else {
                self.rejectBodyTooLarge(context: context)
                return
            }
            self.body.writeImmutableBuffer(part)
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            guard !self.rejected else { return }
            let body = self.body
            self.body = ByteBuffer()
            if let upgrade = self.h2cUpgrade(head: head, body: body) {
                self.upgrade(to: upgrade, context: context)
            } else {
                self.dispatch(head: head, body: body, context: context)
            }
        }
    }

    // MARK: Requests

    private func dispatch(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        guard let requestHead = HTTPRequest(head, isSecure: self.isSecure) else {
            self.respondAndClose(HTTPResponse(status: .badRequest), body: ByteBuffer(), context: context)
            return
        }
        let request = HTTPServerRequest(
            head: requestHead,
            body: body,
            protocolVersion: .http1_1,
            isSecure: self.isSecure,
            remoteAddress: context.channel.remoteAddress
        )
        let state = ResponseWriterState()
        let number = self.requestNumber
        // A response the handler can make at once is written here, in one flush, without a task.
        if let (head, body) = self.handler.immediateResponse(to: request) {
            self.exchange = Exchange(number: number, state: state, task: nil)
            self.writeHead(head, requestNumber: number)
            if body.readableBytes > 0 {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            }
            self.writeEnd(requestNumber: number)
            return
        }
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        let writer = HTTP1ResponseWriter(state: state, connection: connection, requestNumber: number)
        let handler = self.handler
        let lifecycle = self.lifecycle
        self.exchange = Exchange(number: number, state: state, task: nil)
        lifecycle.requestStarted()
        let executor = self.taskExecutor ?? EventLoopTaskExecutor(eventLoop: context.eventLoop)
        // Runs here until its first suspension (see HTTP2ConnectionHandler.run). The task is
        // stored only afterwards: a handler that finishes synchronously has cleared the exchange.
        let task = Task.immediate(executorPreference: executor) {
            await handler.handle(request, writer: writer)
            lifecycle.requestEnded()
            connection.withValueOnLoop { connection in
                connection.handlerReturned(requestNumber: number)
            }
        }
        if self.exchange?.number == number {
            self.exchange?.task = task
        }
    }

    private func rejectBodyTooLarge(context: ChannelHandlerContext) {
        self.rejected = true
        self.body.clear()
        let (head, body) = self.handler.response(for: .bodyTooLarge(limit: self.configuration.maxBodySize))
        self.respondAndClose(head, body: body, context: context)
    }

    /// A whole response from the transport itself, after which the connection closes (the
    /// rest of the request was never read, so the byte stream cannot be trusted).
    private func respondAndClose(_ head: HTTPResponse, body: ByteBuffer, context: ChannelHandlerContext) {
        self.keepAlive = false
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(head, keepAlive: false))), promise: nil)
        if body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    private func cancelTimers() {
        self.wait = .nothing
        self.timer?.cancel()
        self.timer = nil
        self.timerDeadline = nil
    }

    /// A request's head is due within the header timeout.
    private func awaitHeader() {
        self.waitFor(.header(until: .now() + self.configuration.headerReadTimeout.timeAmount))
    }

    /// The connection may stay idle for the idle timeout.
    private func awaitIdle() {
        self.waitFor(.idle(until: .now() + self.configuration.idleTimeout.timeAmount))
    }

    private func waitFor(_ wait: Wait) {
        self.wait = wait
        guard let deadline = self.deadline(of: wait) else { return }
        // A timer due no later fires first and re-aims itself at this deadline.
        if let timerDeadline = self.timerDeadline, timerDeadline <= deadline { return }
        self.timer?.cancel()
        self.scheduleTimer(at: deadline)
    }

    private func deadline(of wait: Wait) -> NIODeadline? {
        switch wait {
        case .nothing: nil
        case .header(let deadline), .idle(let deadline): deadline
        }
    }

    private func scheduleTimer(at deadline: NIODeadline) {
        guard let context = self.context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.timerDeadline = deadline
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            bound.value.timerFired()
        }
    }

    private func timerFired() {
        self.timer = nil
        self.timerDeadline = nil
        guard let deadline = self.deadline(of: self.wait) else { return }
        guard deadline <= .now() else {
            self.scheduleTimer(at: deadline)
            return
        }
        switch self.wait {
        case .nothing: return
        case .header: self.headerTimedOut()
        case .idle: self.context?.close(promise: nil)
        }
    }

    /// No request is in flight, so NIO's pipelining handler would refuse a response: the
    /// 408 goes out raw through the observer at the front of the pipeline.
    private func headerTimedOut() {
        self.wait = .nothing
        guard self.head == nil, self.exchange == nil, let observer = self.observer else { return }
        let (head, body) = self.handler.response(for: .headerTimeout)
        observer.sendAndClose(HTTP1ResponseSerializer.serialize(head, body: body))
    }

    // MARK: Writer operations (hopped onto the event loop)

    private func currentContext(for number: Int) -> ChannelHandlerContext? {
        guard let exchange = self.exchange, exchange.number == number else { return nil }
        return self.context
    }

    func writeHead(_ response: HTTPResponse, requestNumber number: Int) {
        guard let context = self.currentContext(for: number) else { return }
        if self.lifecycle.isQuiescing {
            self.keepAlive = false
        }
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(response, keepAlive: self.keepAlive))), promise: nil)
    }

    func writeBody(_ bytes: ByteBuffer, requestNumber number: Int, continuation: CheckedContinuation<Void, any Error>) {
        guard let context = self.currentContext(for: number) else {
            continuation.resume(throwing: HTTPTransportError(.streamClosed, "the connection was closed"))
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        if context.channel.isWritable {
            continuation.resume()
        } else {
            self.waitingForWritability = continuation
        }
    }

    /// Writes a body part when the channel is writable, like `writeBody` without a wait;
    /// `false` when the writer must wait for writability (nothing is written then).
    func writeBodyIfWritable(_ bytes: ByteBuffer, requestNumber number: Int) throws(HTTPTransportError) -> Bool {
        guard let context = self.currentContext(for: number) else {
            throw HTTPTransportError(.streamClosed, "the connection was closed")
        }
        guard context.channel.isWritable else { return false }
        context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        return true
    }

    func writeEnd(requestNumber number: Int) {
        guard let context = self.currentContext(for: number) else { return }
        self.exchange = nil
        let keepAlive = self.keepAlive
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            let connection = bound.value
            if keepAlive {
                if connection.exchange == nil && connection.head == nil {
                    connection.awaitIdle()
                }
            } else {
                connection.context?.close(promise: nil)
            }
        }
    }

    /// The handler's task returned. A response it left unfinished ends the connection, the
    /// only way HTTP/1.1 has to tell the client the response is incomplete.
    func handlerReturned(requestNumber number: Int) {
        guard let context = self.currentContext(for: number), let exchange = self.exchange else { return }
        self.exchange = nil
        exchange.state.markClosed()
        context.close(promise: nil)
    }

    // MARK: h2c upgrade

    private func h2cUpgrade(head: HTTPRequestHead, body: ByteBuffer) -> HTTP2ConnectionHandler.Upgrade? {
        guard !self.isSecure, self.switchToHTTP2 != nil,
            head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "h2c" }),
            let encoded = head.headers.first(name: "http2-settings"),
            let settings = Base64URL.decode(encoded),
            var requestHead = HTTPRequest(head, isSecure: false)
        else { return nil }
        for name in ["upgrade", "http2-settings", "connection"] {
            if let fieldName = HTTPField.Name(name) {
                requestHead.headerFields[fieldName] = nil
            }
        }
        let request = HTTPServerRequest(
            head: requestHead,
            body: body,
            protocolVersion: .http2,
            isSecure: false,
            remoteAddress: self.context?.channel.remoteAddress
        )
        return HTTP2ConnectionHandler.Upgrade(settingsPayload: settings, request: request)
    }

    private func upgrade(to upgrade: HTTP2ConnectionHandler.Upgrade, context: ChannelHandlerContext) {
        guard let switchToHTTP2 = self.switchToHTTP2 else { return }
        var headers = HTTPHeaders()
        headers.add(name: "connection", value: "Upgrade")
        headers.add(name: "upgrade", value: "h2c")
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        self.cancelTimers()
        switchToHTTP2(upgrade)
    }
}

/// Sits in front of the HTTP/1.1 decoder and tells the connection handler that bytes arrived,
/// which starts the header timeout for a request on a kept-alive connection.
final class HTTP1ReadObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    weak var connection: HTTP1ConnectionHandler?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes bytes past the HTTP/1 codec, straight to the socket, and closes the connection.
    func sendAndClose(_ bytes: ByteBuffer) {
        guard let context = self.context else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(Self.wrapOutboundOut(bytes)).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.connection?.bytesArrived()
        context.fireChannelRead(data)
    }
}
