import HTTPTypes
import NIOCore

/// Writes one HTTP/1.1 response. A body part suspends until the channel is writable again,
/// so a client that reads slowly holds back only its own connection's producer.
final class HTTP1ResponseWriter: HTTPResponseWriter {
    private let state: ResponseWriterState
    private let connection: NIOLoopBound<HTTP1ConnectionHandler>
    private let requestNumber: Int

    init(state: ResponseWriterState, connection: NIOLoopBound<HTTP1ConnectionHandler>, requestNumber: Int) {
        self.state = state
        self.connection = connection
        self.requestNumber = requestNumber
    }

    func writeHead(_ head: HTTPResponse) async throws {
        try self.state.beginHead()
        let connection = self.connection
        let number = self.requestNumber
        connection.withValueOnLoop { connection in
            connection.writeHead(head, requestNumber: number)
        }
    }

    func writeBody(_ bytes: ByteBuffer) async throws {
        try self.state.beginBody()
        guard bytes.readableBytes > 0 else { return }
        let connection = self.connection
        let number = self.requestNumber
        // On the connection's loop (where handler tasks run) a writable channel takes the
        // bytes without a continuation, so the task goes on without a suspension.
        if connection.eventLoop.inEventLoop, try connection.value.writeBodyIfWritable(bytes, requestNumber: number) {
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.withValueOnLoop { connection in
                connection.writeBody(bytes, requestNumber: number, continuation: continuation)
            }
        }
    }

    func finish() async throws {
        try self.state.beginFinish()
        let connection = self.connection
        let number = self.requestNumber
        connection.withValueOnLoop { connection in
            connection.writeEnd(requestNumber: number)
        }
    }
}
