import GatewayCore

/// A finished request's trace as the figures it was measured in: the ids, the response, the
/// engine timelines and the totals over them. Spans are not built when the request ends:
/// the trace store writes their JSON straight from these figures on its writer thread, and
/// `spans` builds the `Span` values (attribute dictionaries and all) only for the exporters
/// and for callers that ask. Building them per request took ~12% of a traced echo request.
struct TraceFigures: Sendable, Equatable {
    typealias Instant = ContinuousClock.Instant

    var requestID: String
    var traceID: String
    /// The gateway's root span, and the caller's span above it when it sent one.
    var rootSpanID: String
    var parentSpanID: String?
    var method: String
    var path: String
    var start: Instant
    var startUnixNano: UInt64
    /// The response's end (or the trace's finish), never before `start`.
    var end: Instant
    /// Child span ids derive from it (`childSpanID(_:)`), so every reading of the trace
    /// gives the same ids without keeping a string per span.
    var childIDSeed: UInt64

    var status: Int
    var model: String?
    var version: String?
    var headWritten: Instant?
    var bodyWrites: Int
    var bodyBytes: Int
    var routing: RoutingDecision?
    var timelines: [RequestTimeline]

    // Totals over the timelines, for the root span and the summary.
    var cancelled: Bool
    var replica: String?
    var device: String?
    var promptTokens: Int
    var completionTokens: Int
    var peakKVBlocks: Int
    var prefixCachedBlocks: Int
    var preemptions: Int
    var finishReason: String?
    /// The first token, clamped inside the request.
    var firstToken: Instant?

    /// Unix nanoseconds of `instant`, clamped inside the request.
    func unixNano(_ instant: Instant) -> UInt64 {
        let clamped = min(max(instant, self.start), self.end)
        return self.startUnixNano &+ RequestTrace.nanoseconds(clamped - self.start)
    }

    /// The `index`th child span's id: splitmix64's finalizer over the seed stepped by the
    /// golden ratio, a bijection, so the children of one trace never share an id.
    func childSpanID(_ index: Int) -> UInt64 {
        var z = self.childIDSeed &+ UInt64(truncatingIfNeeded: index + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z == 0 ? 1 : z
    }

    var timeToFirstTokenMilliseconds: Double? {
        self.firstToken.map { RequestTrace.milliseconds($0 - self.start) }
    }
}
