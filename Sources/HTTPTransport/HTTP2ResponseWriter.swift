import HTTPTypes
import NIOCore

/// Writes one HTTP/2 stream's response. Head and finish only queue work on the connection's
/// event loop; a body part suspends until nghttp2 has copied it into DATA frames, which it
/// does only as the stream's flow-control window allows.
final class HTTP2ResponseWriter: HTTPResponseWriter {
    private let streamID: Int32
    private let state: ResponseWriterState
    private let connection: NIOLoopBound<HTTP2ConnectionHandler>

    init(streamID: Int32, state: ResponseWriterState, connection: NIOLoopBound<HTTP2ConnectionHandler>) {
        self.streamID = streamID
        self.state = state
        self.connection = connection
    }

    func writeHead(_ head: HTTPResponse) async throws {
        try self.state.beginHead()
        let connection = self.connection
        let streamID = self.streamID
        connection.withValueOnLoop { connection in
            connection.submitResponse(streamID: streamID, head: head)
        }
    }

    func writeBody(_ bytes: ByteBuffer) async throws {
        try self.state.beginBody()
        guard bytes.readableBytes > 0 else { return }
        let connection = self.connection
        let streamID = self.streamID
        // On the connection's loop (where handler tasks run) bytes within the send windows
        // are queued without a continuation, so the task goes on without a suspension.
        if connection.eventLoop.inEventLoop, try connection.value.enqueueWithinWindow(bytes, streamID: streamID) {
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.withValueOnLoop { connection in
                connection.enqueue(bytes, streamID: streamID, continuation: continuation)
            }
        }
    }

    func writeResponse(_ head: HTTPResponse, body: ByteBuffer) async throws {
        try self.state.beginWholeResponse()
        let connection = self.connection
        let streamID = self.streamID
        // On the connection's loop a body within the send windows is queued with its end and
        // the head in one step: nghttp2 sends HEADERS and DATA with END_STREAM in one drain.
        if connection.eventLoop.inEventLoop, try connection.value.submitWholeResponse(head, body: body, streamID: streamID) {
            return
        }
        connection.withValueOnLoop { connection in
            connection.submitResponse(streamID: streamID, head: head)
        }
        if body.readableBytes > 0 {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                connection.withValueOnLoop { connection in
                    connection.enqueue(body, streamID: streamID, continuation: continuation)
                }
            }
        }
        connection.withValueOnLoop { connection in
            connection.enqueueEnd(streamID: streamID)
        }
    }

    func finish() async throws {
        try self.state.beginFinish()
        let connection = self.connection
        let streamID = self.streamID
        connection.withValueOnLoop { connection in
            connection.enqueueEnd(streamID: streamID)
        }
    }
}
