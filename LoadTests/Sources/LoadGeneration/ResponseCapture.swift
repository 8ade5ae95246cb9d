import HTTPTransport
import HTTPTypes
import NIOCore
import Synchronization

/// Collects one response on the connection's event loop: the head and each complete
/// server-sent event, stamped with the time its last byte arrived. Parsing JSON waits until
/// the response has ended, so the event loop does only byte scanning while tokens arrive.
final class ResponseCapture: Sendable {
    struct Event {
        var time: ContinuousClock.Instant
        var bytes: [UInt8]
    }

    struct State {
        var startTime: ContinuousClock.Instant?
        var head: HTTPResponse?
        var headTime: ContinuousClock.Instant?
        var endTime: ContinuousClock.Instant?
        var events: [Event] = []
        /// Bytes after the last event separator, waiting for the rest of their event.
        var partial: [UInt8] = []
        var lastByteTime: ContinuousClock.Instant?
    }

    let streaming: Bool
    let state = Mutex(State())

    init(streaming: Bool) {
        self.streaming = streaming
    }

    func receive(_ event: HTTPClientEvent) {
        let now = ContinuousClock.now
        self.state.withLock { state in
            switch event {
            case .requestStarted:
                state.startTime = now
            case .end:
                state.endTime = now
            case .head(let head):
                state.head = head
                state.headTime = now
            case .body(let buffer):
                state.lastByteTime = now
                buffer.withUnsafeReadableBytes { state.partial.append(contentsOf: $0) }
                // Error responses and whole bodies are one document; only SSE splits into events.
                guard self.streaming, state.head?.status.code == 200 else { return }
                Self.splitEvents(&state, at: now)
            }
        }
    }

    /// Moves every complete event (`\n\n`-terminated) out of `partial`.
    private static func splitEvents(_ state: inout State, at time: ContinuousClock.Instant) {
        var start = 0
        var index = 0
        let bytes = state.partial
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") && bytes[index + 1] == UInt8(ascii: "\n") {
                if index > start {
                    state.events.append(Event(time: time, bytes: Array(bytes[start..<index])))
                }
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        if start > 0 {
            state.partial.removeFirst(start)
        }
    }

    func snapshot() -> State {
        self.state.withLock { $0 }
    }
}
