/// When requests start.
public enum LoadSchedule: Sendable, Hashable {
    /// Closed loop: `concurrency` workers, each sending its next request when the last ends.
    /// With a ramp, worker k starts at k/concurrency of the ramp.
    case closedLoop(concurrency: Int)
    /// Open loop: Poisson arrivals at `rate` per second (with a ramp, the rate climbs
    /// linearly from near zero over the ramp).
    case poisson(rate: Double)
    /// Open loop: arrivals at these offsets (seconds from the start, ascending), as a trace.
    case timestamps([Double])
}

/// What bounds a run: it stops at whichever comes first. Both are always set.
public struct LoadLimits: Sendable, Hashable {
    public var maxRequests: Int
    public var duration: Duration
    /// Open loop only: arrivals beyond this many in flight are recorded as `client_overflow`
    /// without being sent, so a stalled server cannot make the generator grow without bound.
    public var maxInFlight: Int
    public var ramp: Duration

    public init(maxRequests: Int, duration: Duration, maxInFlight: Int = 4096, ramp: Duration = .zero) {
        self.maxRequests = max(0, maxRequests)
        self.duration = duration
        self.maxInFlight = max(1, maxInFlight)
        self.ramp = ramp
    }
}
