import Synchronization

/// The order checks every response writer makes before touching the connection: one head,
/// then body parts, then one finish; nothing once the stream or connection is gone. Writers
/// check here on the caller's thread, so a misuse throws at once without a hop to the loop.
final class ResponseWriterState: Sendable {
    private struct Phase {
        var headWritten = false
        var finished = false
        var closed = false
    }

    private let phase = Mutex(Phase())

    var isFinished: Bool { self.phase.withLock { $0.finished } }

    func beginHead() throws(HTTPTransportError) {
        try self.phase.withLock { phase throws(HTTPTransportError) in
            try Self.checkOpen(phase)
            guard !phase.headWritten else { throw HTTPTransportError(.invalidState, "response head already written") }
            phase.headWritten = true
        }
    }

    func beginBody() throws(HTTPTransportError) {
        try self.phase.withLock { phase throws(HTTPTransportError) in
            try Self.checkOpen(phase)
            guard phase.headWritten else { throw HTTPTransportError(.invalidState, "body written before the head") }
        }
    }

    func beginFinish() throws(HTTPTransportError) {
        try self.phase.withLock { phase throws(HTTPTransportError) in
            try Self.checkOpen(phase)
            guard phase.headWritten else { throw HTTPTransportError(.invalidState, "finish before the head") }
            phase.finished = true
        }
    }

    /// Head and finish at once, for a whole response: the body between them cannot misorder.
    func beginWholeResponse() throws(HTTPTransportError) {
        try self.phase.withLock { phase throws(HTTPTransportError) in
            try Self.checkOpen(phase)
            guard !phase.headWritten else { throw HTTPTransportError(.invalidState, "response head already written") }
            phase.headWritten = true
            phase.finished = true
        }
    }

    /// The stream was reset or the connection closed: every later call throws `streamClosed`.
    func markClosed() {
        self.phase.withLock { $0.closed = true }
    }

    private static func checkOpen(_ phase: Phase) throws(HTTPTransportError) {
        guard !phase.closed else { throw HTTPTransportError(.streamClosed, "the stream is closed") }
        guard !phase.finished else { throw HTTPTransportError(.invalidState, "response already finished") }
    }
}
