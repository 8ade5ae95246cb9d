import HTTPTypes
import NIOCore
import NIOHTTP1

/// The client side of one HTTP/1.1 connection on NIO's codec: one request at a time, the
/// rest wait in order (no pipelining, as load tools measure HTTP/1.1). Touched only on the
/// channel's event loop.
final class HTTP1ClientConnectionHandler: ChannelInboundHandler, HTTPClientConnectionHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let state: ClientConnectionState
    private var context: ChannelHandlerContext?
    private var current: HTTPClientExchange?
    private var waiting = CircularBuffer<HTTPClientExchange>()
    private var closed = false
    private var closeAfterResponse = false

    init(state: ClientConnectionState) {
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(HTTPClientError(.connectionClosed, "the HTTP/1.1 handler was removed"))
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(HTTPClientError(.connectionClosed, "the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(HTTPClientError(.protocolError, "\(error)"))
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange = self.current else { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            exchange.status = Int(head.status.code)
            for (name, value) in head.headers {
                if let fieldName = HTTPField.Name(name) {
                    exchange.fields.append(HTTPField(name: fieldName, value: value))
                }
            }
            self.closeAfterResponse = !head.isKeepAlive
            exchange.deliverHead()
        case .body(let bytes):
            exchange.onEvent(.body(bytes))
        case .end:
            // An informational head ends with `.end` too; the final response follows it.
            guard exchange.headDelivered else { return }
            self.current = nil
            exchange.succeed()
            if self.closeAfterResponse {
                self.failAll(HTTPClientError(.connectionClosed, "the server closed the connection"))
                context.close(promise: nil)
            } else {
                self.sendNext()
            }
        }
    }

    func start(_ exchange: HTTPClientExchange) {
        guard !self.closed, let context = self.context, context.channel.isActive else {
            exchange.fail(HTTPClientError(.connectionClosed, "the connection is closed"))
            return
        }
        self.waiting.append(exchange)
        if self.current == nil { self.sendNext() }
    }

    /// HTTP/1.1 cannot abandon a response in flight except by closing the connection.
    func cancel(_ exchange: HTTPClientExchange) {
        if self.current === exchange {
            // Closed before the caller hears of the cancellation: a caller that goes straight
            // on to its next request must not be handed this connection again.
            self.state.markClosed()
        }
        exchange.fail(HTTPClientError(.cancelled, "the request was cancelled"))
        if self.current === exchange {
            self.current = nil
            self.failAll(HTTPClientError(.connectionClosed, "the connection closed to cancel a request"))
            self.context?.close(promise: nil)
        } else if let index = self.waiting.firstIndex(where: { $0 === exchange }) {
            self.waiting.remove(at: index)
        }
    }

    private func sendNext() {
        guard let context = self.context, let exchange = self.waiting.popFirst() else { return }
        self.current = exchange
        let request = exchange.request
        var headers = HTTPHeaders()
        headers.add(name: "host", value: request.authority ?? "localhost")
        for field in request.headerFields {
            headers.add(name: field.name.canonicalName, value: field.value)
        }
        headers.replaceOrAdd(name: "content-length", value: String(exchange.body.readableBytes))
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: request.path ?? "/",
            headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if exchange.body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func failAll(_ error: HTTPClientError) {
        self.closed = true
        self.state.markClosed()
        self.current?.fail(error)
        self.current = nil
        while let exchange = self.waiting.popFirst() {
            exchange.fail(error)
        }
    }
}
