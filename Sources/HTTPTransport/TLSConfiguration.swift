/// TLS for a listener: a PEM certificate chain and private key, and the ALPN protocols
/// offered in order of preference.
public struct TLSConfiguration: Sendable, Equatable {
    public var certificateChainPath: String
    public var privateKeyPath: String
    public var applicationProtocols: [String]

    public init(
        certificateChainPath: String,
        privateKeyPath: String,
        applicationProtocols: [String] = ["h2", "http/1.1"]
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.applicationProtocols = applicationProtocols
    }
}

/// Fired inbound by the TLS handler once the handshake is done, so the pipeline can pick
/// HTTP/2 or HTTP/1.1 from what ALPN negotiated (nil: the client offered no ALPN).
public struct TLSHandshakeCompleted: Sendable, Equatable {
    public var negotiatedProtocol: String?

    public init(negotiatedProtocol: String?) {
        self.negotiatedProtocol = negotiatedProtocol
    }
}
