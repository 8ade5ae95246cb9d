/// A TLS failure: a context that could not be built from its files, or a connection whose
/// handshake or record layer failed. `message` is one line and names the file or OpenSSL's
/// reason, so an operator can act on it without a debugger.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let name: String
        private init(_ name: String) { self.name = name }
        /// The certificate chain file is missing, unreadable, or holds no PEM certificate.
        public static let certificateChain = Code("certificate_chain")
        /// The private key file is missing, unreadable, or holds no PEM private key.
        public static let privateKey = Code("private_key")
        /// The private key does not belong to the leaf certificate.
        public static let keyMismatch = Code("key_mismatch")
        /// OpenSSL refused a context setting (ALPN list, protocol version).
        public static let configuration = Code("configuration")
        /// The handshake or the record layer of a connection failed.
        public static let connection = Code("connection")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code.name): \(self.message)" }
}
