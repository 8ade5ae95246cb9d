import Foundation
import HTTPTransport
import Testing

@Suite("OpenSSLContext", .serialized, .timeLimit(.minutes(1)))
struct TLSContextTests {
    private static func context(certificate: String, key: String) throws -> OpenSSLContext {
        try OpenSSLContext(configuration: TLSConfiguration(certificateChainPath: certificate, privateKeyPath: key))
    }

    @Test func loadsMatchingCertificateAndKey() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        _ = try OpenSSLContext(configuration: certificate.configuration)
    }

    @Test func missingCertificateFileIsNamed() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let missing = certificate.directory.appendingPathComponent("absent.crt").path
        let error = try #require(throws: TLSError.self) {
            try Self.context(certificate: missing, key: certificate.keyPath)
        }
        #expect(error.code == .certificateChain)
        #expect(error.message == "cannot read certificate chain file \(missing): No such file or directory")
    }

    @Test func missingKeyFileIsNamed() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let missing = certificate.directory.appendingPathComponent("absent.key").path
        let error = try #require(throws: TLSError.self) {
            try Self.context(certificate: certificate.certificatePath, key: missing)
        }
        #expect(error.code == .privateKey)
        #expect(error.message == "cannot read private key file \(missing): No such file or directory")
    }

    @Test func keyOfAnotherCertificateIsAMismatch() throws {
        let first = try TLSTestCertificate.make(name: "first")
        let second = try TLSTestCertificate.make(name: "second")
        defer {
            first.remove()
            second.remove()
        }
        let error = try #require(throws: TLSError.self) {
            try Self.context(certificate: first.certificatePath, key: second.keyPath)
        }
        #expect(error.code == .keyMismatch)
        let expected = "private key in \(second.keyPath) does not match the certificate in \(first.certificatePath)"
        #expect(error.message == expected)
    }

    @Test func fileWithoutPEMIsNamedOnOneLine() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let garbage = certificate.directory.appendingPathComponent("garbage.pem").path
        try Data("this is not PEM\n".utf8).write(to: URL(fileURLWithPath: garbage))

        let certificateError = try #require(throws: TLSError.self) {
            try Self.context(certificate: garbage, key: certificate.keyPath)
        }
        #expect(certificateError.code == .certificateChain)
        #expect(certificateError.message.hasPrefix("no usable PEM certificate chain in \(garbage): "))
        #expect(!certificateError.description.contains("\n"))

        let keyError = try #require(throws: TLSError.self) {
            try Self.context(certificate: certificate.certificatePath, key: garbage)
        }
        #expect(keyError.code == .privateKey)
        #expect(keyError.message.hasPrefix("no PEM private key in \(garbage): "))
        #expect(!keyError.description.contains("\n"))
    }

    @Test func encryptedKeyIsRefusedWithoutPrompting() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let encrypted = certificate.directory.appendingPathComponent("encrypted.key").path
        let result = try ExternalCommand.run([
            "openssl", "pkey", "-in", certificate.keyPath, "-aes256", "-passout", "pass:secret", "-out", encrypted,
        ])
        try #require(result.status == 0, "\(result.standardError)")
        let error = try #require(throws: TLSError.self) {
            try Self.context(certificate: certificate.certificatePath, key: encrypted)
        }
        #expect(error.code == .privateKey)
        #expect(error.message == "private key in \(encrypted) is encrypted; give an unencrypted PEM key")
    }

    @Test func keyOfAnotherAlgorithmIsAMismatch() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let rsaKey = certificate.directory.appendingPathComponent("rsa.key").path
        let result = try ExternalCommand.run([
            "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsaKey,
        ])
        try #require(result.status == 0, "\(result.standardError)")
        let error = try #require(throws: TLSError.self) {
            try Self.context(certificate: certificate.certificatePath, key: rsaKey)
        }
        #expect(error.code == .keyMismatch)
    }

    @Test func overlongProtocolNameIsRefused() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        var configuration = certificate.configuration
        configuration.applicationProtocols = [String(repeating: "x", count: 256)]
        let error = try #require(throws: TLSError.self) { try OpenSSLContext(configuration: configuration) }
        #expect(error.code == .configuration)
    }
}
