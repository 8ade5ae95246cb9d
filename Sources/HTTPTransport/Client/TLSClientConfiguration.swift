/// TLS for a client connection: how the server's certificate is checked. ALPN offers the
/// protocol the connection asks for (h2 or http/1.1).
public struct TLSClientConfiguration: Sendable, Equatable {
    public enum Verification: Sendable, Equatable {
        /// The system's trusted roots, and the certificate must name the host.
        case systemRoots
        /// Roots from this PEM file (a self-signed test certificate, say), and the
        /// certificate must name the host.
        case certificateAuthorities(path: String)
        /// Any certificate (loopback tests against a throwaway certificate).
        case none
    }

    public var verification: Verification

    public init(verification: Verification = .systemRoots) {
        self.verification = verification
    }
}
