import GatewayCore

/// One finished request in figures: the row the trace store keeps per request (which is also
/// its audit record: which version, replica and device served it), the access-log line, and
/// what the metrics observe.
public struct RequestSummary: Sendable, Codable, Equatable {
    public var requestID: String
    public var traceID: String
    public var method: String
    public var path: String
    /// 0 when no response head was written (the client left first).
    public var status: Int
    public var model: String?
    public var version: String?
    public var replica: String?
    public var device: String?
    public var startUnixNano: UInt64
    public var durationMilliseconds: Double
    /// Time to first token from the request's start.
    public var timeToFirstTokenMilliseconds: Double?
    /// Arrival at the engine to admission, the longest over the request's generations.
    public var queueMilliseconds: Double?
    /// Mean gap between consecutive generated tokens.
    public var interTokenMilliseconds: Double?
    public var promptTokens: Int
    public var completionTokens: Int
    public var finishReason: String?
    public var cancelled: Bool
    public var responseBytes: Int
    public var preemptions: Int
    public var decodeSteps: Int

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case traceID = "trace_id"
        case method, path, status, model, version, replica, device
        case startUnixNano = "start_time_unix_nano"
        case durationMilliseconds = "duration_ms"
        case timeToFirstTokenMilliseconds = "ttft_ms"
        case queueMilliseconds = "queue_ms"
        case interTokenMilliseconds = "inter_token_ms"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case finishReason = "finish_reason"
        case cancelled
        case responseBytes = "response_bytes"
        case preemptions
        case decodeSteps = "decode_steps"
    }
}

/// A finished request: its summary and its spans, ready for the store and the exporters,
/// and every gap between its generated tokens for the inter-token histogram. The spans are
/// kept as the figures they are made of and built when asked for.
public struct TraceRecord: Sendable, Equatable {
    public var summary: RequestSummary
    let figures: TraceFigures

    /// The request's spans, root first (built on each call).
    public var spans: [Span] { self.figures.spans }

    public var interTokenGaps: [Duration] {
        self.figures.timelines.count == 1
            ? self.figures.timelines[0].interTokenGaps : self.figures.timelines.flatMap(\.interTokenGaps)
    }
}
