import Foundation
import HTTPTransport
import LoadGeneration
import TestSupport
import Testing

/// The client over TLS against the gateway's own TLS listener: ALPN gives each protocol
/// what it asked for, and the certificate is checked unless told otherwise.
@Suite("LoadClient over TLS")
struct TLSClientTests {
    /// A throwaway self-signed certificate for 127.0.0.1 and localhost.
    struct Certificate {
        var directory: URL
        var certificate: String { self.directory.appendingPathComponent("cert.pem").path }
        var key: String { self.directory.appendingPathComponent("key.pem").path }

        static func make() async throws -> Certificate {
            let directory = ProcessRunner.temporaryFile("tls")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let made = Certificate(directory: directory)
            let result = try await ProcessRunner.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", made.key, "-out", made.certificate,
            ])
            try #require(result.status == 0, "openssl req failed: \(result.stderr)")
            return made
        }
    }

    @Test("h2 and HTTP/1.1 over TLS, the certificate checked against its own PEM", arguments: HTTPClientProtocol.allCases)
    func verified(protocol: HTTPClientProtocol) async throws {
        let certificate = try await Certificate.make()
        defer { try? FileManager.default.removeItem(at: certificate.directory) }
        let tls = TLSConfiguration(certificateChainPath: certificate.certificate, privateKeyPath: certificate.key)
        try await EchoServer.with(tls: tls) { port in
            let client = LoadClient(configuration: LoadClientConfiguration(
                port: port, protocol: `protocol`,
                tls: TLSClientConfiguration(verification: .certificateAuthorities(path: certificate.certificate))))
            let runner = LoadRunner(
                client: client, schedule: .closedLoop(concurrency: 4), limits: LoadLimits(maxRequests: 40, duration: .seconds(30)))
            let records = await runner.run { LoadRequest(index: $0, prompt: "over the wire sealed", maxTokens: 8) }
            await client.close()
            #expect(records.count == 40)
            #expect(records.filter { !$0.succeeded }.map { $0.errorMessage ?? "" } == [])
            #expect(records.allSatisfy { $0.text == "over the wire sealed" })
        }
    }

    @Test("an untrusted certificate fails to connect unless verification is off")
    func untrusted() async throws {
        let certificate = try await Certificate.make()
        defer { try? FileManager.default.removeItem(at: certificate.directory) }
        let tls = TLSConfiguration(certificateChainPath: certificate.certificate, privateKeyPath: certificate.key)
        try await EchoServer.with(tls: tls) { port in
            let strict = LoadClient(configuration: LoadClientConfiguration(port: port, tls: TLSClientConfiguration()))
            let refused = await strict.send(LoadRequest(prompt: "a b"))
            await strict.close()
            #expect(refused.errorKind == "connect_failed")

            let lax = LoadClient(configuration: LoadClientConfiguration(port: port, tls: TLSClientConfiguration(verification: .none)))
            let accepted = await lax.send(LoadRequest(prompt: "a b"))
            await lax.close()
            #expect(accepted.succeeded && accepted.text == "a b")
        }
    }
}
