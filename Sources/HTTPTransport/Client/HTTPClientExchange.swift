import HTTPTypes
import NIOCore

/// One request on a client connection and its response as it arrives. Owned by the
/// connection handler and touched only on the channel's event loop.
final class HTTPClientExchange {
    let request: HTTPRequest
    var body: ByteBuffer
    let onEvent: @Sendable (HTTPClientEvent) -> Void
    private let promise: EventLoopPromise<Void>

    /// HTTP/2 only: the stream nghttp2 gave the request (-1 until submitted).
    var streamID: Int32 = -1
    var status: Int?
    var fields = HTTPFields()
    var headDelivered = false
    private(set) var isComplete = false

    init(request: HTTPRequest, body: ByteBuffer, onEvent: @escaping @Sendable (HTTPClientEvent) -> Void, promise: EventLoopPromise<Void>) {
        self.request = request
        self.body = body
        self.onEvent = onEvent
        self.promise = promise
    }

    var futureResult: EventLoopFuture<Void> { self.promise.futureResult }

    /// Hands the head over once; informational (1xx) heads are skipped, a final one follows.
    func deliverHead() {
        guard !self.headDelivered, let code = self.status, (200...999).contains(code) else {
            self.status = nil
            self.fields = HTTPFields()
            return
        }
        self.headDelivered = true
        self.onEvent(.head(HTTPResponse(status: .init(code: code), headerFields: self.fields)))
        self.fields = HTTPFields()
    }

    func succeed() {
        guard !self.isComplete else { return }
        self.isComplete = true
        self.onEvent(.end)
        self.promise.succeed()
    }

    func fail(_ error: HTTPClientError) {
        guard !self.isComplete else { return }
        self.isComplete = true
        self.promise.fail(error)
    }
}
