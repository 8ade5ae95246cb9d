import Logging
import NIOCore

/// Server-side TLS for one connection, first in the pipeline: ciphertext in from the socket,
/// plaintext out to the handlers after it, and the reverse for writes.
///
/// Once the handshake is done it fires `TLSHandshakeCompleted` inbound, before any
/// plaintext, so the pipeline can pick HTTP/2 or HTTP/1.1 from ALPN. Writes issued before
/// then are held and sent after it. A failure (garbage bytes, a refused handshake, a bad
/// record) is logged on one line with OpenSSL's reason, the alert OpenSSL produced is sent,
/// and the channel closes; nothing after this handler sees an error.
public final class OpenSSLServerHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    enum State {
        case handshaking
        case established
        /// close_notify or an alert is on its way out; the `SSL` is not used again.
        case closing
        case closed
    }

    /// Ciphertext in the write BIO beyond which a large write is moved to the channel
    /// before the rest is encrypted, so memory stays bounded by this, not by the write.
    static let outputHighWatermark = 256 * 1024
    /// Plaintext handed to `SSL_write_ex` at a time (a multiple of the 16 KB record size).
    static let writeSliceSize = 64 * 1024
    /// Room for one whole TLS record's plaintext.
    static let recordSize = 16 * 1024

    private let sslContext: OpenSSLContext
    private let logger: Logger
    private var connection: OpenSSLConnection?
    private(set) var state: State = .handshaking
    /// Writes issued before the handshake completed; they are encrypted and flushed with
    /// the handshake's last flight.
    private var heldWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// A close asked for while writes were held: it waits for the handshake so those
    /// writes reach the peer first (a second close does not wait).
    private var deferredClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    /// Promises of writes whose ciphertext is still in the write BIO; they complete with the
    /// channel write that carries it.
    private var unwrittenPromises: [EventLoopPromise<Void>] = []
    /// A plaintext buffer that came back empty (the read held only part of a record), kept
    /// for the next read so split records cost no allocation per read.
    private var spareBuffer: ByteBuffer?

    /// The host a client context checks the certificate against (nil for a server).
    private let serverName: String?

    public init(context: OpenSSLContext, logger: Logger) {
        self.sslContext = context
        self.logger = logger
        self.serverName = nil
    }

    /// The client side of the same machinery: a client context starts the handshake as soon
    /// as the channel is active.
    init(clientContext: OpenSSLContext, serverName: String, logger: Logger) {
        self.sslContext = clientContext
        self.logger = logger
        self.serverName = serverName
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        do {
            self.connection = try OpenSSLConnection(context: self.sslContext, serverName: self.serverName)
        } catch {
            self.fail(context: context, reason: "\(error)")
            return
        }
        if context.channel.isActive { self.startClientHandshake(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.startClientHandshake(context: context)
        context.fireChannelActive()
    }

    /// A client speaks first: its ClientHello leaves now. A server waits for the peer.
    private func startClientHandshake(context: ChannelHandlerContext) {
        guard self.sslContext.isClient, self.state == .handshaking, let connection = self.connection else { return }
        switch connection.handshake() {
        case .wantsInput:
            self.writeOutput(context: context, flush: true)
        case .done:
            self.completeHandshake(context: context, connection: connection)
        case .closedByPeer:
            self.closeAfterOutput(context: context, mode: .all, promise: nil)
        case .failed(let reason):
            self.fail(context: context, reason: reason)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.failPendingWrites()
        self.connection = nil
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let ciphertext = self.unwrapInboundIn(data)
        guard let connection = self.connection, self.state == .handshaking || self.state == .established else {
            return
        }
        connection.receive(ciphertext)
        let outputBefore = connection.pendingOutput
        if self.state == .handshaking {
            switch connection.handshake() {
            case .done:
                self.completeHandshake(context: context, connection: connection)
            case .wantsInput:
                if connection.pendingOutput > outputBefore { self.writeOutput(context: context, flush: true) }
                return
            case .closedByPeer:
                self.closeAfterOutput(context: context, mode: .all, promise: nil)
                return
            case .failed(let reason):
                self.fail(context: context, reason: reason)
                return
            }
        }
        self.readPlaintext(context: context, connection: connection, ciphertextBytes: ciphertext.readableBytes)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        // The handlers after this one see no bytes until the handshake is done, so they
        // cannot be the ones to ask for more: with autoRead off the handshake would stall.
        if self.state == .handshaking { context.read() }
        context.fireChannelReadComplete()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.state = .closed
        self.failPendingWrites()
        context.fireChannelInactive()
    }

    private func completeHandshake(context: ChannelHandlerContext, connection: OpenSSLConnection) {
        self.state = .established
        let held = self.heldWrites
        self.heldWrites = []
        for (plaintext, promise) in held {
            guard self.state == .established else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                continue
            }
            self.encrypt(context: context, connection: connection, plaintext: plaintext, promise: promise)
        }
        if let deferred = self.deferredClose, self.state == .established {
            // Joins the deferred close's promise.
            self.closeAfterOutput(context: context, mode: deferred.mode, promise: nil)
            return
        }
        // The handshake's last flight (and any held writes) go out now.
        self.writeOutput(context: context, flush: true)
        guard self.state == .established else { return }
        context.fireUserInboundEventTriggered(TLSHandshakeCompleted(negotiatedProtocol: connection.negotiatedProtocol))
    }

    /// Decrypts every whole record in the read BIO and fires the plaintext in buffers of up
    /// to `ciphertextBytes` plus one record, re-checking the state after each fire because
    /// the handlers after this one may close the channel from inside `channelRead`.
    private func readPlaintext(context: ChannelHandlerContext, connection: OpenSSLConnection, ciphertextBytes: Int) {
        let capacity = ciphertextBytes + Self.recordSize
        var plaintext = self.spareBuffer ?? context.channel.allocator.buffer(capacity: capacity)
        self.spareBuffer = nil
        var producedOutput = false
        reading: while self.state == .established {
            if plaintext.writableBytes < Self.recordSize, plaintext.readableBytes > 0 {
                context.fireChannelRead(self.wrapInboundOut(plaintext))
                plaintext = context.channel.allocator.buffer(capacity: capacity)
                continue
            }
            let outputBefore = connection.pendingOutput
            let outcome = connection.read(into: &plaintext, minimumWritableBytes: Self.recordSize)
            // Post-handshake messages (a KeyUpdate reply, say) leave ciphertext behind.
            producedOutput = producedOutput || connection.pendingOutput > outputBefore
            switch outcome {
            case .done:
                continue
            case .wantsInput:
                break reading
            case .closedByPeer:
                self.fireIfReadable(context: context, plaintext)
                if self.state == .established { self.closeAfterOutput(context: context, mode: .all, promise: nil) }
                return
            case .failed(let reason):
                self.fail(context: context, reason: reason)
                return
            }
        }
        guard self.state == .established else { return }
        if plaintext.readableBytes == 0 {
            self.spareBuffer = plaintext
        } else {
            context.fireChannelRead(self.wrapInboundOut(plaintext))
        }
        if producedOutput, self.state == .established { self.writeOutput(context: context, flush: true) }
    }

    private func fireIfReadable(context: ChannelHandlerContext, _ plaintext: ByteBuffer) {
        guard plaintext.readableBytes > 0 else { return }
        context.fireChannelRead(self.wrapInboundOut(plaintext))
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = self.unwrapOutboundIn(data)
        switch self.state {
        case .handshaking:
            self.heldWrites.append((plaintext, promise))
        case .established:
            guard let connection = self.connection else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                return
            }
            self.encrypt(context: context, connection: connection, plaintext: plaintext, promise: promise)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch self.state {
        case .handshaking:
            // Held writes are flushed when the handshake completes.
            break
        case .established:
            self.writeOutput(context: context, flush: true)
        case .closing, .closed:
            context.flush()
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch self.state {
        case .established:
            self.closeAfterOutput(context: context, mode: mode, promise: promise)
        case .handshaking where !self.heldWrites.isEmpty && self.deferredClose == nil:
            self.deferredClose = (mode, promise)
        case .handshaking:
            self.state = .closed
            self.failHeldWrites()
            context.close(mode: .all, promise: self.joiningDeferredClose(promise))
        case .closing, .closed:
            // A second close (an idle timeout while close_notify is stuck, say) is immediate.
            context.close(mode: mode, promise: promise)
        }
    }

    /// Encrypts in slices so the write BIO never holds much more than the high watermark;
    /// the promise completes with the channel write that carries the last slice.
    private func encrypt(
        context: ChannelHandlerContext,
        connection: OpenSSLConnection,
        plaintext: ByteBuffer,
        promise: EventLoopPromise<Void>?
    ) {
        var remaining = plaintext
        while remaining.readableBytes > 0 {
            // Moving output to the channel can run callbacks that close it.
            guard self.state == .established else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                return
            }
            let length = min(remaining.readableBytes, Self.writeSliceSize)
            guard let slice = remaining.readSlice(length: length) else { break }
            if case .failed(let reason) = connection.write(slice) {
                promise?.fail(TLSError(.connection, reason))
                self.fail(context: context, reason: reason)
                return
            }
            if connection.pendingOutput >= Self.outputHighWatermark {
                self.writeOutput(context: context, flush: false)
            }
        }
        if let promise { self.unwrittenPromises.append(promise) }
    }

    /// Moves the write BIO's ciphertext to the channel as one buffer, completing the
    /// promises of the writes it carries.
    /// An empty write still carries promises, so they complete in order with the channel's.
    private func writeOutput(context: ChannelHandlerContext, flush: Bool) {
        let pending = self.connection?.pendingOutput ?? 0
        if pending > 0 || !self.unwrittenPromises.isEmpty {
            var ciphertext = context.channel.allocator.buffer(capacity: pending)
            self.connection?.drainOutput(into: &ciphertext)
            context.write(self.wrapOutboundOut(ciphertext), promise: self.takeUnwrittenPromises(context: context))
        }
        if flush { context.flush() }
    }

    private func takeUnwrittenPromises(context: ChannelHandlerContext) -> EventLoopPromise<Void>? {
        let promises = self.unwrittenPromises
        self.unwrittenPromises = []
        switch promises.count {
        case 0:
            return nil
        case 1:
            return promises[0]
        default:
            let combined = context.eventLoop.makePromise(of: Void.self)
            combined.futureResult.assumeIsolated().whenComplete { result in
                for promise in promises { promise.assumeIsolated().completeWith(result) }
            }
            return combined
        }
    }

    // MARK: Closing and failing

    /// Sends close_notify (when the session is up) and whatever else is queued, then closes
    /// once those bytes are written, so a response written just before is not cut off.
    /// `.output` half-closes after close_notify (plaintext arriving later is discarded). A
    /// close deferred during the handshake completes with this one.
    private func closeAfterOutput(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        let promise = self.joiningDeferredClose(promise)
        if self.state == .established { self.connection?.shutdown() }
        self.state = .closing
        self.failHeldWrites()
        let written = context.eventLoop.makePromise(of: Void.self)
        self.unwrittenPromises.append(written)
        self.writeOutput(context: context, flush: true)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(mode: mode, promise: promise)
        }
    }

    private func fail(context: ChannelHandlerContext, reason: String) {
        guard self.state == .handshaking || self.state == .established else { return }
        let phase = self.state == .handshaking ? "handshake" : "record layer"
        self.logger.info(
            "TLS \(phase) failed, closing connection: \(reason)",
            metadata: ["remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "unknown")"]
        )
        // The alert OpenSSL queued for the peer goes out before the close.
        self.state = .closing
        self.closeAfterOutput(context: context, mode: .all, promise: nil)
    }

    /// `promise` made to complete the deferred close's promise too, if a close was deferred.
    private func joiningDeferredClose(_ promise: EventLoopPromise<Void>?) -> EventLoopPromise<Void>? {
        guard let deferred = self.deferredClose?.promise else {
            self.deferredClose = nil
            return promise
        }
        self.deferredClose = nil
        guard let promise else { return deferred }
        promise.futureResult.assumeIsolated().whenComplete { deferred.assumeIsolated().completeWith($0) }
        return promise
    }

    /// Nothing more reaches the socket: every write still waiting here fails.
    private func failPendingWrites() {
        self.failHeldWrites()
        self.deferredClose?.promise?.fail(ChannelError.alreadyClosed)
        self.deferredClose = nil
        let unwritten = self.unwrittenPromises
        self.unwrittenPromises = []
        for promise in unwritten { promise.fail(ChannelError.ioOnClosedChannel) }
    }

    private func failHeldWrites() {
        let held = self.heldWrites
        self.heldWrites = []
        for (_, promise) in held { promise?.fail(ChannelError.ioOnClosedChannel) }
    }
}
