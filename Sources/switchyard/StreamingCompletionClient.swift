import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What one streamed completion measured on the client side.
struct StreamedCompletion: Sendable {
    var status: Int
    /// From sending the request to the first SSE chunk that carries text.
    var timeToFirstText: Duration?
    /// SSE chunks that carried text.
    var textChunks: Int
    /// `usage.completion_tokens` of the last chunk that had usage, when the server sent one.
    var completionTokens: Int?
    var elapsed: Duration

    /// Output tokens: the server's count when it gave one, else one per text chunk.
    var outputTokens: Int { self.completionTokens ?? self.textChunks }
}

/// The smallest streaming OpenAI client the batching benchmark needs: one HTTP/1.1
/// connection per request (NIOHTTP1's client codec), a JSON body POSTed (or a GET), the
/// `text/event-stream` answer read as it arrives.
enum StreamingCompletionClient {
    static func request(
        host: String, port: Int, method: HTTPMethod = .POST, path: String, headers: [(String, String)] = [],
        body: String?, group: any EventLoopGroup
    ) async throws -> StreamedCompletion {
        let started = ContinuousClock.now
        let promise = group.next().makePromise(of: StreamedCompletion.self)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "host", value: "\(host):\(port)")
        if let body {
            head.headers.add(name: "content-type", value: "application/json")
            head.headers.add(name: "content-length", value: String(body.utf8.count))
        }
        head.headers.add(name: "connection", value: "close")
        head.headers.add(contentsOf: headers)
        let request = SSEClientHandler.Request(head: head, body: body, started: started)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(SSEClientHandler(request: request, promise: promise))
                }
            }
            .connect(host: host, port: port).get()
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }
}

/// Writes the request once connected, then reads the response's server-sent events: the
/// time of the first chunk with text, the chunks with text, and the usage if any.
final class SSEClientHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: String?
        var started: ContinuousClock.Instant
    }

    private let request: Request
    private let promise: EventLoopPromise<StreamedCompletion>
    private var result = StreamedCompletion(status: 0, timeToFirstText: nil, textChunks: 0, completionTokens: nil, elapsed: .zero)
    /// Bytes of an event not yet ended by a blank line.
    private var pending: [UInt8] = []
    private var done = false

    init(request: Request, promise: EventLoopPromise<StreamedCompletion>) {
        self.request = request
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(self.request.head)), promise: nil)
        if let body = self.request.body {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.result.status = Int(head.status.code)
        case .body(let buffer):
            self.pending.append(contentsOf: buffer.readableBytesView)
            self.consumeEvents()
        case .end:
            self.finish(.success(()))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish(.failure(ChannelError.inputClosed))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ outcome: Result<Void, any Error>) {
        guard !self.done else { return }
        self.done = true
        switch outcome {
        case .success:
            self.result.elapsed = ContinuousClock.now - self.request.started
            self.promise.succeed(self.result)
        case .failure(let error):
            self.promise.fail(error)
        }
    }

    /// Takes every complete event (ended by a blank line, `\n\n` or `\r\n\r\n`) out of
    /// `pending`.
    private func consumeEvents() {
        var start = 0
        var index = 0
        let bytes = self.pending
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") && bytes[index + 1] == UInt8(ascii: "\n") {
                self.event(bytes[start..<index])
                start = index + 2
                index = start
            } else if index + 3 < bytes.count, bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n"),
                bytes[index + 2] == UInt8(ascii: "\r"), bytes[index + 3] == UInt8(ascii: "\n")
            {
                self.event(bytes[start..<index])
                start = index + 4
                index = start
            } else {
                index += 1
            }
        }
        if start > 0 { self.pending.removeFirst(start) }
    }

    private func event(_ bytes: ArraySlice<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("data:") {
            let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            guard payload != "[DONE]",
                let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any]
            else { continue }
            if let usage = object["usage"] as? [String: Any], let tokens = usage["completion_tokens"] as? Int {
                self.result.completionTokens = tokens
            }
            guard let choice = (object["choices"] as? [[String: Any]])?.first else { continue }
            let piece = (choice["text"] as? String) ?? ((choice["delta"] as? [String: Any])?["content"] as? String) ?? ""
            guard !piece.isEmpty else { continue }
            self.result.textChunks += 1
            if self.result.timeToFirstText == nil {
                self.result.timeToFirstText = ContinuousClock.now - self.request.started
            }
        }
    }
}
