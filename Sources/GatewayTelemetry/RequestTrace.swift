import Foundation
import GatewayCore
import Synchronization

/// Everything one HTTP request leaves for its trace while it runs: the trace context, the
/// route, the status written, the stream's figures and the engine timelines of its
/// generations. The handler's task makes it, the response writer and the engines fill it,
/// `Telemetry.finish` turns it into spans, metrics and log lines.
public final class RequestTrace: Sendable {
    /// The trace of the request the current task serves (set by the API around a request).
    @TaskLocal public static var current: RequestTrace?

    public let requestID: RequestID
    public let context: TraceContext
    public let method: String
    public let path: String
    /// The request's start on the monotonic clock and on the wall clock (Unix nanoseconds):
    /// every instant of the trace is placed on the wall clock through this pair.
    public let start: ContinuousClock.Instant
    public let startUnixNano: UInt64

    struct State {
        var model: String?
        var version: String?
        var status: Int?
        var headWritten: ContinuousClock.Instant?
        var finished: ContinuousClock.Instant?
        var bodyWrites = 0
        var bodyBytes = 0
        /// The client reset the stream or went away before the response ended.
        var clientGone = false
        var timelines: [TimelineRecorder] = []
        var routing: RoutingDecision?
    }

    let state = Mutex(State())

    /// - Parameter start: when the request arrived; an instant before now is placed on the
    ///   wall clock that far back.
    public init(
        requestID: RequestID, context: TraceContext, method: String, path: String, start: ContinuousClock.Instant = .now
    ) {
        self.requestID = requestID
        self.context = context
        self.method = method
        self.path = path
        let now = ContinuousClock.now
        let wallNow = Self.wallClockNanoseconds()
        self.start = min(start, now)
        self.startUnixNano = wallNow &- Self.nanoseconds(now - self.start)
    }

    /// A new timeline for one generation of this request, kept for the trace.
    public func makeTimeline() -> TimelineRecorder {
        let recorder = TimelineRecorder()
        self.state.withLock { $0.timelines.append(recorder) }
        return recorder
    }

    /// The model version the request was routed to.
    public func recordModel(name: String, version: String) {
        self.state.withLock {
            $0.model = name
            $0.version = version
        }
    }

    /// The API's own routing step (a table lookup), used where no router recorded its decision.
    public func recordRouting(_ decision: RoutingDecision) {
        self.state.withLock { $0.routing = decision }
    }

    /// The response head went out with `status` (the first one counts).
    public func recordHead(status: Int) {
        self.state.withLock {
            $0.status = $0.status ?? status
            $0.headWritten = $0.headWritten ?? .now
        }
    }

    /// One body write of `bytes`.
    public func recordBody(bytes: Int) {
        self.state.withLock {
            $0.bodyWrites += 1
            $0.bodyBytes += bytes
        }
    }

    /// The response ended, or the client reset it (`clientGone`). The first call decides: a
    /// client that closes its connection once the whole response is in (curl does) cancels
    /// the handler's task after the end was recorded, and did not cancel the request.
    public func recordFinish(clientGone: Bool) {
        self.state.withLock {
            guard $0.finished == nil else { return }
            $0.finished = .now
            $0.clientGone = clientGone
        }
    }

    /// Unix nanoseconds of a monotonic instant of this request.
    public func unixNano(_ instant: ContinuousClock.Instant) -> UInt64 {
        instant >= self.start
            ? self.startUnixNano &+ Self.nanoseconds(instant - self.start)
            : self.startUnixNano &- Self.nanoseconds(self.start - instant)
    }

    /// A non-negative duration in whole nanoseconds.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000))
    }

    static func wallClockNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
