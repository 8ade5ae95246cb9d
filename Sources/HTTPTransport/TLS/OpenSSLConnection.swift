import COpenSSL
import NIOCore

/// One server-side `SSL` with a read and a write memory BIO: ciphertext from the socket is
/// written into the read BIO, ciphertext OpenSSL produces is read out of the write BIO. The
/// `SSL` owns both BIOs; `deinit` frees all three. Used only on its channel's event loop.
final class OpenSSLConnection {
    /// What an operation on the `SSL` came to.
    enum Outcome: Equatable {
        case done
        /// OpenSSL needs more ciphertext from the peer before it can go on.
        case wantsInput
        /// The peer sent close_notify.
        case closedByPeer
        /// A fatal error; the reason is OpenSSL's, on one line.
        case failed(String)
    }

    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    /// Keeps the `SSL_CTX` and the ALPN preferences its callback reads alive while this
    /// `SSL` exists.
    private let context: OpenSSLContext

    /// - Parameter serverName: for a client context, the host the certificate must name
    ///   (checked unless verification is off) and sent as SNI when it is not an address.
    init(context: OpenSSLContext, serverName: String? = nil) throws {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.context) else {
            throw TLSError(.connection, "SSL_new failed: \(OpenSSLErrorQueue.drainReasons())")
        }
        guard let readBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError(.connection, "BIO_new failed: \(OpenSSLErrorQueue.drainReasons())")
        }
        guard let writeBIO = BIO_new(BIO_s_mem()) else {
            BIO_free(readBIO)
            SSL_free(ssl)
            throw TLSError(.connection, "BIO_new failed: \(OpenSSLErrorQueue.drainReasons())")
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        if context.isClient {
            SSL_set_connect_state(ssl)
            if let serverName, !serverName.isEmpty {
                _ = SSL_set1_host(ssl, serverName)
                // SSL_set_tlsext_host_name is a macro over SSL_ctrl; SNI carries names, not addresses.
                if !serverName.contains(":"), serverName.contains(where: \.isLetter) {
                    // SSL_CTRL_SET_TLSEXT_HOSTNAME (55), TLSEXT_NAMETYPE_host_name (0); OpenSSL copies the name.
                    _ = serverName.withCString { SSL_ctrl(ssl, 55, 0, UnsafeMutableRawPointer(mutating: $0)) }
                }
            }
        } else {
            SSL_set_accept_state(ssl)
        }
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.context = context
    }

    deinit {
        SSL_free(self.ssl)
    }

    /// Hands ciphertext from the socket to OpenSSL. A memory BIO grows to take all of it.
    func receive(_ ciphertext: ByteBuffer) {
        ciphertext.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let chunk = Int32(clamping: bytes.count - offset)
                let written = BIO_write(self.readBIO, base + offset, chunk)
                guard written > 0 else { return }
                offset += Int(written)
            }
        }
    }

    func handshake() -> Outcome {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(self.ssl)
        return result == 1 ? .done : self.outcome(of: result)
    }

    /// Decrypts what it can into `plaintext` (at most one record per call). `.done` means
    /// bytes were appended.
    func read(into plaintext: inout ByteBuffer, minimumWritableBytes: Int) -> Outcome {
        OpenSSLErrorQueue.clear()
        var result: Int32 = 0
        plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: minimumWritableBytes) { space in
            var count = 0
            result = SSL_read_ex(self.ssl, space.baseAddress, space.count, &count)
            return result == 1 ? count : 0
        }
        return result == 1 ? .done : self.outcome(of: result)
    }

    /// Encrypts all of `plaintext` into the write BIO (a memory BIO never refuses bytes, so
    /// OpenSSL writes everything or fails).
    func write(_ plaintext: ByteBuffer) -> Outcome {
        guard plaintext.readableBytes > 0 else { return .done }
        OpenSSLErrorQueue.clear()
        let result = plaintext.withUnsafeReadableBytes { bytes in
            var count = 0
            return SSL_write_ex(self.ssl, bytes.baseAddress, bytes.count, &count)
        }
        return result == 1 ? .done : self.outcome(of: result)
    }

    /// Queues close_notify in the write BIO. The peer's reply is not awaited (RFC 8446 §6.1
    /// lets the side that closes leave without it).
    func shutdown() {
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(self.ssl)
        OpenSSLErrorQueue.clear()
    }

    /// Ciphertext waiting in the write BIO.
    var pendingOutput: Int {
        Int(BIO_ctrl_pending(self.writeBIO))
    }

    /// Moves everything in the write BIO into `buffer`.
    func drainOutput(into buffer: inout ByteBuffer) {
        while case let pending = self.pendingOutput, pending > 0 {
            let chunk = min(pending, Int(Int32.max))
            var drained: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunk) { space in
                drained = BIO_read(self.writeBIO, space.baseAddress, Int32(chunk))
                return max(Int(drained), 0)
            }
            guard drained > 0 else { return }
        }
    }

    /// The protocol ALPN settled on, or nil when none was negotiated.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    private func outcome(of result: Int32) -> Outcome {
        switch SSL_get_error(self.ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wantsInput
        case SSL_ERROR_ZERO_RETURN:
            return .closedByPeer
        case SSL_ERROR_SYSCALL:
            return .failed(OpenSSLErrorQueue.drainReasons(fallback: "unexpected end of the TLS stream"))
        case let code:
            return .failed(OpenSSLErrorQueue.drainReasons(fallback: "SSL_get_error \(code)"))
        }
    }
}
