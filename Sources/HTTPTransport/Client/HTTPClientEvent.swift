import HTTPTypes
import NIOCore

/// What a client hears of one exchange, in order: the request handed to the connection,
/// the response head once, body bytes as they arrive, the end. Delivered on the connection's
/// event loop as they happen, so a receiver that stamps the time measures the wire (as h2load
/// does), not the scheduling of the task that awaits the response.
public enum HTTPClientEvent: Sendable {
    /// The connection took the request (it leaves with the loop's next flush).
    case requestStarted
    case head(HTTPResponse)
    case body(ByteBuffer)
    /// The response ended normally; `execute` returns next.
    case end
}

/// Which protocol a client connection speaks. HTTP/2 multiplexes requests as streams (with
/// prior knowledge on cleartext); HTTP/1.1 sends one request at a time on the connection.
public enum HTTPClientProtocol: String, Sendable, CaseIterable {
    case http2 = "h2"
    case http1 = "http/1.1"
}
