import GatewayCore

/// Writes a trace's spans as the JSON array `[Span]`'s `Codable` form gives (keys as in
/// `Span.CodingKeys`), straight from the walk: no `Span` values, no attribute dictionaries.
struct SpanJSONWriter: SpanSink {
    var json: JSONWriter
    let traceID: String
    let rootSpanID: String
    let parentSpanID: String?
    /// Whether the current span's `events` array is open (its `attributes` object is closed).
    private var inEvents = false

    /// A traced request's spans come to 2.5–3 KB: 4 KB is written without regrowing.
    init(figures: TraceFigures, capacity: Int = 4096) {
        self.json = JSONWriter(capacity: capacity)
        self.traceID = figures.traceID
        self.rootSpanID = figures.rootSpanID
        self.parentSpanID = figures.parentSpanID
    }

    /// The array of `figures`' spans.
    static func array(of figures: TraceFigures) -> [UInt8] {
        var writer = SpanJSONWriter(figures: figures)
        writer.json.beginArray()
        figures.emitSpans(into: &writer)
        writer.json.endArray()
        return writer.json.output
    }

    mutating func beginSpan(childID: UInt64?, name: String, startUnixNano: UInt64, endUnixNano: UInt64) {
        self.json.beginObject()
        self.json.field(verbatim: "trace_id", self.traceID)
        self.json.key(verbatim: "span_id")
        if let childID { self.json.string(hexIdentifier: childID) } else { self.json.string(self.rootSpanID) }
        self.json.key(verbatim: "parent_span_id")
        if childID != nil {
            self.json.string(self.rootSpanID)
        } else if let parent = self.parentSpanID {
            self.json.string(parent)
        } else {
            self.json.null()
        }
        self.json.field(verbatim: "name", name)
        self.json.field(verbatim: "start_time_unix_nano", startUnixNano)
        // As `Span.init` does: a span never ends before it starts.
        self.json.field(verbatim: "end_time_unix_nano", max(startUnixNano, endUnixNano))
        self.json.key(verbatim: "attributes")
        self.json.beginObject()
        self.inEvents = false
    }

    mutating func attribute(_ key: StaticString, _ value: SpanAttribute) {
        self.json.key(verbatim: key)
        switch value {
        case .string(let text): self.json.string(text)
        case .int(let number): self.json.integer(number)
        case .double(let number): self.json.number(number)
        case .bool(let flag): self.json.bool(flag)
        }
    }

    mutating func event(_ name: String, timeUnixNano: UInt64) {
        if !self.inEvents {
            self.json.endObject()
            self.json.key(verbatim: "events")
            self.json.beginArray()
            self.inEvents = true
        }
        self.json.beginObject()
        self.json.field(verbatim: "name", name)
        self.json.field(verbatim: "time_unix_nano", timeUnixNano)
        self.json.key(verbatim: "attributes")
        self.json.beginObject()
        self.json.endObject()
        self.json.endObject()
    }

    mutating func endSpan(status: String) {
        if self.inEvents {
            self.json.endArray()
        } else {
            self.json.endObject()
            self.json.key(verbatim: "events")
            self.json.beginArray()
            self.json.endArray()
        }
        self.json.field(verbatim: "status", status)
        self.json.endObject()
    }
}

extension RequestSummary {
    /// The same JSON as `Codable` gives (keys as in `CodingKeys`).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field(verbatim: "request_id", self.requestID)
        json.field(verbatim: "trace_id", self.traceID)
        json.field(verbatim: "method", self.method)
        json.field(verbatim: "path", self.path)
        json.field(verbatim: "status", self.status)
        json.field(verbatim: "model", self.model)
        json.field(verbatim: "version", self.version)
        json.field(verbatim: "replica", self.replica)
        json.field(verbatim: "device", self.device)
        json.field(verbatim: "start_time_unix_nano", self.startUnixNano)
        json.field(verbatim: "duration_ms", self.durationMilliseconds)
        json.field(verbatim: "ttft_ms", self.timeToFirstTokenMilliseconds)
        json.field(verbatim: "queue_ms", self.queueMilliseconds)
        json.field(verbatim: "inter_token_ms", self.interTokenMilliseconds)
        json.field(verbatim: "prompt_tokens", self.promptTokens)
        json.field(verbatim: "completion_tokens", self.completionTokens)
        json.field(verbatim: "finish_reason", self.finishReason)
        json.field(verbatim: "cancelled", self.cancelled)
        json.field(verbatim: "response_bytes", self.responseBytes)
        json.field(verbatim: "preemptions", self.preemptions)
        json.field(verbatim: "decode_steps", self.decodeSteps)
        json.endObject()
    }
}
