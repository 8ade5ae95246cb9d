import GatewayCore
import NIOCore

/// OpenAI's streaming framing: each event is `data: <json>\n\n`; the stream ends with
/// `data: [DONE]\n\n`.
enum ServerSentEvents {
    /// One `data:` event whose JSON `build` writes.
    static func event(capacity: Int = 256, _ build: (inout JSONWriter) -> Void) -> ByteBuffer {
        var json = JSONWriter(capacity: capacity)
        json.raw("data: ")
        build(&json)
        json.raw("\n\n")
        return json.buffer
    }

    static func done() -> ByteBuffer {
        ByteBuffer(string: "data: [DONE]\n\n")
    }
}
