import Synchronization

/// The shared handle on one generation's `RequestTimeline`: the API makes it and puts it in
/// the `GenerationRequest`, the engine (and a router) fill it, the API reads it when the
/// request ends. The engine may still write after the API stopped reading (a cancelled
/// stream), hence the mutex; it is taken once per step per sequence, uncontended.
public final class TimelineRecorder: Sendable {
    private let timeline = Mutex(RequestTimeline())

    public init() {}

    /// Runs `body` on the timeline under the lock.
    public func record<Result>(_ body: (inout RequestTimeline) -> Result) -> Result {
        self.timeline.withLock { body(&$0) }
    }

    /// A copy of the timeline as of now.
    public var snapshot: RequestTimeline { self.timeline.withLock { $0 } }

    /// Where a router has not decided already, records `decision`; a router's own decision
    /// (more detailed) wins over the API's default.
    public func recordRouting(_ decision: RoutingDecision, replacing: Bool = true) {
        self.timeline.withLock { timeline in
            if replacing || timeline.routing == nil { timeline.routing = decision }
        }
    }
}
