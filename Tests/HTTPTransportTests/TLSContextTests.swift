import Foundation
import HTTPTransport
import Testing

@Suite("OpenSSLContext", .serialized, .timeLimit(.minutes(1)))
struct TLSContextTests {
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
            try OpenSSLContext(configuration: TLSConfiguration(certificateChainPath: missing, privateKeyPath: certificate.keyPath))
        }
        #expect(error.code == .certificateChain)
        #expect(error.message == "cannot read certificate chain file \(missing): No such file or directory")
    }

    @Test func missingKeyFileIsNamed() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let missing = certificate.directory.appendingPathComponent("absent.key").path
        let error = try #require(throws: TLSError.self) {
            try OpenSSLContext(configuration: TLSConfiguration(certificateChainPath: certificate.certificatePath, privateKeyPath: missing))
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
            try OpenSSLContext(
                configuration: TLSConfiguration(certificateChainPath: first.certificatePath, privateKeyPath: second.keyPath)
            )
        }
        #expect(error.code == .keyMismatch)
        #expect(
            error.message == "private key in \(second.keyPath) does not match the certificate in \(first.certificatePath)"
        )
    }

    @Test func fileWithoutPEMIsNamedOnOneLine() throws {
        let certificate = try TLSTestCertificate.make()
        defer { certificate.remove() }
        let garbage = certificate.directory.appendingPathComponent("garbage.pem").path
        try Data("this is not PEM\n".utf8).write(to: URL(fileURLWithPath: garbage))

        let certificateError = try #require(throws: TLSError.self) {
            try OpenSSLContext(configuration: TLSConfiguration(certificateChainPath: garbage, privateKeyPath: certificate.keyPath))
        }
        #expect(certificateError.code == .certificateChain)
        #expect(certificateError.message.hasPrefix("no usable PEM certificate chain in \(garbage): "))
        #expect(!certificateError.description.contains("\n"))

        let keyError = try #require(throws: TLSError.self) {
            try OpenSSLContext(configuration: TLSConfiguration(certificateChainPath: certificate.certificatePath, privateKeyPath: garbage))
        }
        #expect(keyError.code == .privateKey)
        #expect(keyError.message.hasPrefix("no PEM private key in \(garbage): "))
        #expect(!keyError.description.contains("\n"))
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
