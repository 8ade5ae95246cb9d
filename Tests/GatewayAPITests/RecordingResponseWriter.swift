import HTTPTransport
import HTTPTypes
import NIOCore
import Synchronization

/// Records what a handler writes. With `failAfterBodyWrites` it behaves like a stream the
/// client reset: every body write after that many throws `streamClosed`.
final class RecordingResponseWriter: HTTPResponseWriter {
    struct State {
        var head: HTTPResponse?
        var bodies: [ByteBuffer] = []
        var finished = false
        var failedWrites = 0
    }

    private let state = Mutex(State())
    private let failAfterBodyWrites: Int?

    init(failAfterBodyWrites: Int? = nil) {
        self.failAfterBodyWrites = failAfterBodyWrites
    }

    func writeHead(_ head: HTTPResponse) async throws {
        try self.state.withLock { state in
            guard state.head == nil else { throw HTTPTransportError(.invalidState, "second head") }
            state.head = head
        }
    }

    func writeBody(_ bytes: ByteBuffer) async throws {
        try self.state.withLock { state in
            guard state.head != nil, !state.finished else { throw HTTPTransportError(.invalidState, "body out of order") }
            if let limit = self.failAfterBodyWrites, state.bodies.count >= limit {
                state.failedWrites += 1
                throw HTTPTransportError(.streamClosed, "the client reset the stream")
            }
            state.bodies.append(bytes)
        }
    }

    func finish() async throws {
        try self.state.withLock { state in
            guard state.head != nil, !state.finished else { throw HTTPTransportError(.invalidState, "finish out of order") }
            state.finished = true
        }
    }

    var recorded: State { self.state.withLock { $0 } }
}
