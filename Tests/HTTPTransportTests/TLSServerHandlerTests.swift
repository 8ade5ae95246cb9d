import Foundation
import HTTPTransport
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// `OpenSSLServerHandler` against real peers: curl and `openssl s_client`.
@Suite("OpenSSLServerHandler", .serialized, .timeLimit(.minutes(2)))
struct TLSServerHandlerTests {
    /// Runs `body` against a fresh server with a fresh certificate, then stops both.
    private func withServer(
        fragmentInput: Bool = false,
        _ body: (TLSTestServer, TLSTestCertificate) async throws -> Void
    ) async throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let context = try OpenSSLContext(configuration: certificate.configuration)
        let server = try await TLSTestServer.start(context: context, fragmentInput: fragmentInput)
        do {
            try await body(server, certificate)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    private func curl(_ server: TLSTestServer, path: String, extra: [String] = []) throws -> ExternalCommand.Result {
        try ExternalCommand.run(
            ["curl", "-sS", "-k", "--http1.1", "--max-time", "20"] + extra + ["https://127.0.0.1:\(server.port)\(path)"]
        )
    }

    private func sClient(_ server: TLSTestServer, arguments: [String], input: String = "") throws -> ExternalCommand.Result {
        try ExternalCommand.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost"] + arguments,
            input: Data(input.utf8),
            timeoutSeconds: 15
        )
    }

    @Test func curlGetsTheBodyOverHTTP11() async throws {
        try await self.withServer { server, _ in
            let result = try self.curl(server, path: "/")
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == TLSTestResponder.greeting)
            let handshakes = try await server.waitForHandshakes(1)
            #expect(handshakes == [TLSHandshakeCompleted(negotiatedProtocol: "http/1.1")])
            #expect(server.logs.recorded.isEmpty)
        }
    }

    @Test func alpnPrefersH2() async throws {
        try await self.withServer { server, _ in
            let result = try self.sClient(server, arguments: ["-alpn", "http/1.1,h2"])
            #expect(result.standardOutput.contains("ALPN protocol: h2"), "\(result.standardOutput)")
            #expect(try await server.waitForHandshakes(1) == [TLSHandshakeCompleted(negotiatedProtocol: "h2")])
        }
    }

    @Test func alpnSelectsHTTP11WhenOnlyThatIsOffered() async throws {
        try await self.withServer { server, _ in
            let result = try self.sClient(server, arguments: ["-alpn", "http/1.1"])
            #expect(result.standardOutput.contains("ALPN protocol: http/1.1"), "\(result.standardOutput)")
            #expect(try await server.waitForHandshakes(1) == [TLSHandshakeCompleted(negotiatedProtocol: "http/1.1")])
        }
    }

    @Test func noALPNWhenTheClientOffersNone() async throws {
        try await self.withServer { server, _ in
            let result = try self.sClient(server, arguments: [])
            #expect(result.standardOutput.contains("No ALPN negotiated"), "\(result.standardOutput)")
            #expect(try await server.waitForHandshakes(1) == [TLSHandshakeCompleted(negotiatedProtocol: nil)])
        }
    }

    @Test func noCommonProtocolIsRefusedWithAnAlert() async throws {
        try await self.withServer { server, _ in
            let result = try self.sClient(server, arguments: ["-alpn", "spdy/3"])
            #expect(result.standardError.contains("no application protocol"), "\(result.standardError)")
            let lines = try await server.waitForLogLines(1)
            #expect(lines.count == 1)
            #expect(lines.first?.contains("TLS handshake failed") == true, "\(lines)")
            #expect(server.completedHandshakes.isEmpty)
            // The refusal cost nothing else: the next client is served.
            #expect(try self.curl(server, path: "/").standardOutput == TLSTestResponder.greeting)
        }
    }

    @Test func serverCloseSendsCloseNotify() async throws {
        try await self.withServer { server, _ in
            let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let result = try self.sClient(server, arguments: ["-alpn", "http/1.1", "-ign_eof", "-msg"], input: request)
            #expect(result.standardOutput.contains(TLSTestResponder.greeting), "\(result.standardOutput)")
            #expect(result.standardOutput.contains("<<< TLS 1.3, Alert"), "\(result.standardOutput)")
            #expect(result.standardOutput.contains("warning close_notify"), "\(result.standardOutput)")
        }
    }

    @Test func largeResponseAndLargeRequestRoundTrip() async throws {
        try await self.withServer { server, certificate in
            let size = 4 << 20
            let pattern = Data(tlsTestPattern(count: size))
            let download = certificate.directory.appendingPathComponent("download").path
            let downloaded = try self.curl(server, path: "/pattern/\(size)", extra: ["-o", download])
            #expect(downloaded.status == 0, "\(downloaded.standardError)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: download)) == pattern)

            let upload = certificate.directory.appendingPathComponent("upload").path
            let echoed = certificate.directory.appendingPathComponent("echoed").path
            try pattern.write(to: URL(fileURLWithPath: upload))
            let uploaded = try self.curl(
                server,
                path: "/echo",
                extra: ["-H", "Expect:", "--data-binary", "@\(upload)", "-o", echoed]
            )
            #expect(uploaded.status == 0, "\(uploaded.standardError)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: echoed)) == pattern)
        }
    }

    @Test func tensOfMegabytesArriveIntact() async throws {
        try await self.withServer { server, certificate in
            let size = 24 << 20
            let download = certificate.directory.appendingPathComponent("download").path
            let result = try self.curl(server, path: "/pattern/\(size)", extra: ["-o", download])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: download)) == Data(tlsTestPattern(count: size)))
        }
    }

    @Test func recordsSplitAtEveryBoundaryAreReassembled() async throws {
        try await self.withServer(fragmentInput: true) { server, certificate in
            #expect(try self.curl(server, path: "/").standardOutput == TLSTestResponder.greeting)
            let pattern = Data(tlsTestPattern(count: 1 << 20, seed: 7))
            let upload = certificate.directory.appendingPathComponent("upload").path
            let echoed = certificate.directory.appendingPathComponent("echoed").path
            try pattern.write(to: URL(fileURLWithPath: upload))
            let result = try self.curl(
                server,
                path: "/echo",
                extra: ["-H", "Expect:", "--data-binary", "@\(upload)", "-o", echoed]
            )
            #expect(result.status == 0, "\(result.standardError)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: echoed)) == pattern)
        }
    }

    @Test(arguments: [
        Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8),
        [0x16, 0x03, 0x01, 0x00, 0x10] + [UInt8](repeating: 0xAB, count: 16),
        tlsTestPattern(count: 4096, seed: 99),
    ])
    func garbageClosesTheConnectionAndTheServerGoesOn(garbage: [UInt8]) async throws {
        try await self.withServer { server, _ in
            let closedInTime = try await Self.sendAndAwaitClose(port: server.port, bytes: garbage)
            #expect(closedInTime)
            let lines = try await server.waitForLogLines(1)
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first?.contains("TLS handshake failed, closing connection: error:") == true, "\(lines)")
            #expect(server.completedHandshakes.isEmpty)
            #expect(try self.curl(server, path: "/").standardOutput == TLSTestResponder.greeting)
            #expect(server.logs.recorded.count == 1)
        }
    }

    /// Connects, sends `bytes`, and reports whether the server closed within 10 seconds.
    private static func sendAndAwaitClose(port: Int, bytes: [UInt8]) async throws -> Bool {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let timedOut = Atomic<Bool>(false)
        let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) {
            timedOut.store(true, ordering: .relaxed)
            channel.close(promise: nil)
        }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        try await channel.closeFuture.get()
        timeout.cancel()
        try await group.shutdownGracefully()
        return !timedOut.load(ordering: .relaxed)
    }
}
