import HTTPTypes
import NIOCore

/// Writes a complete HTTP/1.1 response with `connection: close` as bytes, for the one answer
/// the transport gives outside NIO's codec: 408 on a connection that never sent a whole head.
enum HTTP1ResponseSerializer {
    static func serialize(_ response: HTTPResponse, body: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeString("HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n")
        for field in response.headerFields where field.name != .connection && field.name != .contentLength {
            out.writeString("\(field.name.canonicalName): \(field.value)\r\n")
        }
        out.writeString("content-length: \(body.readableBytes)\r\nconnection: close\r\n\r\n")
        out.writeImmutableBuffer(body)
        return out
    }
}
