/// Why a client request ended without a complete response. Codes are a struct so new ones
/// can be added without breaking callers that switch over the ones they know.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        /// A short stable name, used as the error kind in load reports.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// The TCP connection could not be opened.
        public static let connectFailed = Code("connect_failed")
        /// The connection closed (or was closed) before the response ended.
        public static let connectionClosed = Code("connection_closed")
        /// The server reset the HTTP/2 stream (REFUSED_STREAM, INTERNAL_ERROR, ...).
        public static let streamReset = Code("stream_reset")
        /// The request could not be submitted or the response broke the protocol.
        public static let protocolError = Code("protocol_error")
        /// The caller's task was cancelled; the stream was reset or the connection closed.
        public static let cancelled = Code("cancelled")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code.name): \(self.message)" }
}
