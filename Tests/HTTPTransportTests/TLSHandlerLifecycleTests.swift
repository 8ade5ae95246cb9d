import HTTPTransport
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// Promise bookkeeping of `OpenSSLServerHandler` around closes, driven by hand on an
/// `EmbeddedChannel` (no peer: the handshake never completes).
@Suite(.serialized) struct TLSHandlerLifecycleTests {
    private static func makeChannel(_ certificate: TLSTestCertificate) throws -> (EmbeddedChannel, TLSTestLogRecorder) {
        let logs = TLSTestLogRecorder()
        let context = try OpenSSLContext(configuration: certificate.configuration)
        let channel = EmbeddedChannel(handler: OpenSSLServerHandler(context: context, logger: logs.logger))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4433)).wait()
        return (channel, logs)
    }

    @Test func closeDuringHandshakeWaitsForHeldWritesUntilASecondClose() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let (channel, _) = try Self.makeChannel(certificate)

        let write = channel.writeAndFlush(ByteBuffer(string: "held until the handshake"))
        let firstClose = channel.close()
        // The held write would be lost by closing now, so the close waits.
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)

        let secondClose = channel.close()
        #expect(!channel.isActive)
        #expect(throws: ChannelError.ioOnClosedChannel) { try write.wait() }
        try secondClose.wait()
        try firstClose.wait()
    }

    @Test func closeDuringHandshakeWithNothingHeldIsImmediate() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let (channel, logs) = try Self.makeChannel(certificate)
        try channel.close().wait()
        #expect(!channel.isActive)
        #expect(logs.recorded.isEmpty)
    }

    @Test func garbageClosesWithOneLogLine() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let (channel, logs) = try Self.makeChannel(certificate)
        let write = channel.write(ByteBuffer(string: "never sent"))
        try channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 64)))
        #expect(!channel.isActive)
        #expect(throws: ChannelError.ioOnClosedChannel) { try write.wait() }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(logs.recorded.count == 1)
        #expect(logs.recorded.first?.hasPrefix("info TLS handshake failed, closing connection: error:") == true)
    }
}
