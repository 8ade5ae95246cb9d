import COpenSSL
import Glibc

/// A server-side OpenSSL `SSL_CTX` built once from a `TLSConfiguration` and shared by every
/// connection of a listener.
///
/// Invariant behind `@unchecked Sendable`: the `SSL_CTX` is fully configured inside `init`
/// and never mutated afterwards; OpenSSL documents `SSL_new` on a shared, unchanging
/// `SSL_CTX` as thread-safe, and the ALPN preferences the select callback reads are an
/// immutable object owned by this context. Every connection keeps the context alive (the
/// handler holds a strong reference), so the callback's argument outlives every `SSL`.
public final class OpenSSLContext: @unchecked Sendable {
    let context: OpaquePointer
    /// The server's ALPN preferences, handed to the select callback as its `arg` pointer.
    let applicationProtocols: ApplicationProtocolPreferences
    /// Connections made from this context start the handshake (`SSL_set_connect_state`).
    let isClient: Bool

    public init(configuration: TLSConfiguration) throws {
        self.isClient = false
        self.applicationProtocols = try ApplicationProtocolPreferences(configuration.applicationProtocols)
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(.configuration, "SSL_CTX_new failed: \(OpenSSLErrorQueue.drainReasons())")
        }
        self.context = context
        // From here on `deinit` frees the context if a later step throws.
        try self.configureProtocol()
        try self.loadCertificateChain(path: configuration.certificateChainPath)
        try self.loadPrivateKey(
            path: configuration.privateKeyPath,
            certificatePath: configuration.certificateChainPath
        )
        self.installApplicationProtocolSelection()
    }

    /// A client context: verification as configured and ALPN offering `applicationProtocols`.
    init(client configuration: TLSClientConfiguration, applicationProtocols: [String]) throws {
        self.isClient = true
        self.applicationProtocols = try ApplicationProtocolPreferences(applicationProtocols)
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(.configuration, "SSL_CTX_new failed: \(OpenSSLErrorQueue.drainReasons())")
        }
        self.context = context
        try self.configureProtocol()
        switch configuration.verification {
        case .systemRoots:
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw TLSError(.configuration, "cannot load the system's roots: \(OpenSSLErrorQueue.drainReasons())")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .certificateAuthorities(let path):
            try Self.requireReadable(path, code: .certificateChain, role: "certificate authorities")
            guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw TLSError(.certificateChain, "no usable PEM certificates in \(path): \(OpenSSLErrorQueue.drainReasons())")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .none:
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        // ALPN's wire format: each name preceded by its length.
        let wire = self.applicationProtocols.protocols.flatMap { [UInt8($0.count)] + $0 }
        guard wire.isEmpty || wire.withUnsafeBufferPointer({ SSL_CTX_set_alpn_protos(context, $0.baseAddress, UInt32($0.count)) }) == 0
        else {
            throw TLSError(.configuration, "cannot set the ALPN protocols: \(OpenSSLErrorQueue.drainReasons())")
        }
    }

    deinit {
        SSL_CTX_free(self.context)
    }

    /// TLS 1.2 or later, no compression, no renegotiation, and the server's cipher order.
    /// The option and control macros are function-like in the headers, so their values are
    /// spelled here; they are part of OpenSSL's stable ABI.
    private func configureProtocol() throws {
        guard SSL_CTX_ctrl(self.context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            let reasons = OpenSSLErrorQueue.drainReasons()
            throw TLSError(.configuration, "cannot set TLS 1.2 as the minimum version: \(reasons)")
        }
        let noCompression: UInt64 = 1 << 17  // SSL_OP_NO_COMPRESSION
        let serverPreference: UInt64 = 1 << 22  // SSL_OP_CIPHER_SERVER_PREFERENCE
        let noRenegotiation: UInt64 = 1 << 30  // SSL_OP_NO_RENEGOTIATION
        _ = SSL_CTX_set_options(self.context, noCompression | serverPreference | noRenegotiation)
        // Idle connections give their 34 KB record buffers back to the allocator.
        _ = SSL_CTX_ctrl(self.context, SSL_CTRL_MODE, Int(SSL_MODE_RELEASE_BUFFERS), nil)
    }

    private func loadCertificateChain(path: String) throws {
        try Self.requireReadable(path, code: .certificateChain, role: "certificate chain")
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_certificate_chain_file(self.context, path) == 1 else {
            throw TLSError(
                .certificateChain,
                "no usable PEM certificate chain in \(path): \(OpenSSLErrorQueue.drainReasons())"
            )
        }
    }

    /// Reads the key itself (rather than `SSL_CTX_use_PrivateKey_file`) so that a file without
    /// a key and a key for another certificate get different, precise messages.
    private func loadPrivateKey(path: String, certificatePath: String) throws {
        try Self.requireReadable(path, code: .privateKey, role: "private key")
        OpenSSLErrorQueue.clear()
        guard let file = BIO_new_file(path, "r") else {
            throw TLSError(.privateKey, "cannot open private key file \(path): \(OpenSSLErrorQueue.drainReasons())")
        }
        defer { BIO_free(file) }
        // Without a callback OpenSSL would prompt for a passphrase on the terminal and block
        // the server's start; this one refuses and records that a passphrase was wanted.
        var passphraseRequested = false
        let key = withUnsafeMutablePointer(to: &passphraseRequested) { requested in
            PEM_read_bio_PrivateKey(file, nil, refusePassphrase, requested)
        }
        guard let key else {
            let reasons = OpenSSLErrorQueue.drainReasons()
            if passphraseRequested {
                throw TLSError(.privateKey, "private key in \(path) is encrypted; give an unencrypted PEM key")
            }
            throw TLSError(.privateKey, "no PEM private key in \(path): \(reasons)")
        }
        defer { EVP_PKEY_free(key) }
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_PrivateKey(self.context, key) == 1, SSL_CTX_check_private_key(self.context) == 1 else {
            OpenSSLErrorQueue.clear()
            throw TLSError(
                .keyMismatch,
                "private key in \(path) does not match the certificate in \(certificatePath)"
            )
        }
    }

    /// Without protocols the context negotiates no ALPN rather than refusing every client
    /// that offers some.
    private func installApplicationProtocolSelection() {
        guard !self.applicationProtocols.protocols.isEmpty else { return }
        let argument = Unmanaged.passUnretained(self.applicationProtocols).toOpaque()
        SSL_CTX_set_alpn_select_cb(self.context, selectApplicationProtocol, argument)
    }

    private static func requireReadable(_ path: String, code: TLSError.Code, role: String) throws {
        guard access(path, R_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            throw TLSError(code, "cannot read \(role) file \(path): \(reason)")
        }
    }
}

/// The PEM passphrase callback: answers no passphrase and sets the `Bool` its argument
/// points to.
private func refusePassphrase(
    _ buffer: UnsafeMutablePointer<CChar>?,
    _ size: Int32,
    _ forWriting: Int32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    argument?.assumingMemoryBound(to: Bool.self).pointee = true
    return -1
}
