import HTTPTypes
import NIOCore

/// What a client hears of one response, in order: the head once, then body bytes as they
/// arrive. Delivered on the connection's event loop the moment the bytes are parsed, so a
/// receiver that stamps the time measures arrival, not its own scheduling.
public enum HTTPClientEvent: Sendable {
    case head(HTTPResponse)
    case body(ByteBuffer)
}

/// Which protocol a client connection speaks. HTTP/2 multiplexes requests as streams (with
/// prior knowledge on cleartext); HTTP/1.1 sends one request at a time on the connection.
public enum HTTPClientProtocol: String, Sendable, CaseIterable {
    case http2 = "h2"
    case http1 = "http/1.1"
}
