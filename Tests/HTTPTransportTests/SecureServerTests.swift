import Foundation
import HTTPTransport
import Testing

/// The whole server over TLS: ALPN picks HTTP/2 or HTTP/1.1 behind the OpenSSL handler.
@Suite(.serialized) struct SecureServerTests {
    @Test(arguments: [("--http2", "2"), ("--http1.1", "1.1")])
    func curlOverTLS(flag: String, expectedVersion: String) async throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        try await RunningServer.with({ $0.tls = certificate.configuration }) { running in
            let url = "https://127.0.0.1:\(running.port)"
            let result = try await Tool.run(
                "/usr/bin/curl",
                ["-sS", "-k", flag, "-w", "|%{http_version}", "--data-binary", "sealed", "-D", "-", "\(url)/echo"]
            )
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output.hasSuffix("sealed|\(expectedVersion)"))
            let protocolName = expectedVersion == "2" ? "http/2" : "http/1.1"
            #expect(result.output.lowercased().contains("x-protocol: \(protocolName)"))
            let stream = try await Tool.run("/usr/bin/curl", ["-sS", "-k", flag, "\(url)/stream?n=25"])
            #expect(stream.output.split(whereSeparator: \.isNewline).count == 25)
        }
    }

    @Test func nghttpOverTLS() async throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        try await RunningServer.with({ $0.tls = certificate.configuration }) { running in
            let result = try await Tool.run("/usr/bin/nghttp", ["-nv", "https://127.0.0.1:\(running.port)/stream?n=5"])
            #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
            #expect(result.output.contains("recv SETTINGS frame"))
            #expect(result.output.contains(":status: 200"))
        }
    }
}
