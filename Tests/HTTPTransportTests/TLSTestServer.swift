import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A NIO server on 127.0.0.1, port 0: `OpenSSLServerHandler`, a recorder of the handshake
/// events it fires, then NIOHTTP1's server pipeline and `TLSTestResponder`. With
/// `fragmentInput` every read is cut into small, odd-sized pieces before TLS sees it, so
/// records arrive split at every possible boundary.
final class TLSTestServer: Sendable {
    let port: Int
    let logs: TLSTestLogRecorder
    private let handshakes: HandshakeRecorder
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    var completedHandshakes: [TLSHandshakeCompleted] { self.handshakes.events.withLock { $0 } }

    private init(
        port: Int,
        logs: TLSTestLogRecorder,
        handshakes: HandshakeRecorder,
        group: MultiThreadedEventLoopGroup,
        channel: any Channel
    ) {
        self.port = port
        self.logs = logs
        self.handshakes = handshakes
        self.group = group
        self.channel = channel
    }

    static func start(context: OpenSSLContext, fragmentInput: Bool = false) async throws -> TLSTestServer {
        let logs = TLSTestLogRecorder()
        let recorder = HandshakeRecorder()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logger = logs.logger
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if fragmentInput { try operations.addHandler(FragmentingHandler()) }
                    try operations.addHandler(OpenSSLServerHandler(context: context, logger: logger))
                    try operations.addHandler(HandshakeEventHandler(recorder: recorder))
                    try operations.configureHTTPServerPipeline()
                    try operations.addHandler(TLSTestResponder())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else {
            throw TLSTestFailure("server has no local port")
        }
        return TLSTestServer(port: port, logs: logs, handshakes: recorder, group: group, channel: channel)
    }

    func stop() async throws {
        try await self.channel.close()
        try await self.group.shutdownGracefully()
    }

    /// Waits (bounded) until the server has recorded `count` handshakes: a client may exit
    /// before the server has read its last flight.
    func waitForHandshakes(_ count: Int) async throws -> [TLSHandshakeCompleted] {
        for _ in 0..<100 {
            let events = self.completedHandshakes
            if events.count >= count { return events }
            try await Task.sleep(for: .milliseconds(50))
        }
        return self.completedHandshakes
    }

    /// Waits (bounded) until at least `count` log lines were recorded.
    func waitForLogLines(_ count: Int) async throws -> [String] {
        for _ in 0..<100 {
            let lines = self.logs.recorded
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(50))
        }
        return self.logs.recorded
    }
}

final class HandshakeRecorder: Sendable {
    let events = Mutex<[TLSHandshakeCompleted]>([])
}

/// Records `TLSHandshakeCompleted` and checks it comes before any plaintext.
private final class HandshakeEventHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let recorder: HandshakeRecorder
    private var handshakeSeen = false

    init(recorder: HandshakeRecorder) {
        self.recorder = recorder
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted {
            self.handshakeSeen = true
            self.recorder.events.withLock { $0.append(completed) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.handshakeSeen else {
            // Plaintext before the event would be a bug in the handler under test.
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

/// Cuts every inbound buffer into pieces of 1, 2, 3, 5, ... 997 bytes, cycling.
private final class FragmentingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let sizes = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 997]
    private var next = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        while buffer.readableBytes > 0 {
            let size = min(Self.sizes[self.next % Self.sizes.count], buffer.readableBytes)
            self.next += 1
            guard let piece = buffer.readSlice(length: size) else { return }
            context.fireChannelRead(self.wrapInboundOut(piece))
        }
    }
}

/// `GET /` answers a short text; `GET /pattern/N` answers N pattern bytes; `POST /echo`
/// answers the request body. Every response has a content-length.
final class TLSTestResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let greeting = "hello over tls\n"

    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            self.body?.writeBuffer(&chunk)
        case .end:
            guard let head = self.head else { return }
            self.respond(context: context, head: head, body: self.body ?? ByteBuffer())
            self.head = nil
            self.body = nil
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let allocator = context.channel.allocator
        let (status, payload): (HTTPResponseStatus, ByteBuffer)
        if head.method == .GET, head.uri == "/" {
            (status, payload) = (.ok, allocator.buffer(string: Self.greeting))
        } else if head.method == .GET, head.uri.hasPrefix("/pattern/"), let count = Int(head.uri.dropFirst(9)),
            (0...(64 << 20)).contains(count)
        {
            (status, payload) = (.ok, allocator.buffer(bytes: tlsTestPattern(count: count)))
        } else if head.method == .POST, head.uri == "/echo" {
            (status, payload) = (.ok, body)
        } else {
            (status, payload) = (.notFound, allocator.buffer(string: "not found\n"))
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: "\(payload.readableBytes)")
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(self.wrapOutboundOut(.head(response)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil)
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
