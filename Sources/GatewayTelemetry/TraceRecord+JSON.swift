import GatewayCore

extension Span {
    /// The same JSON as `Codable` gives (keys as in `CodingKeys`).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("trace_id", self.traceID)
        json.field("span_id", self.spanID)
        json.key("parent_span_id")
        if let parent = self.parentSpanID { json.string(parent) } else { json.null() }
        json.field("name", self.name)
        json.field("start_time_unix_nano", self.startUnixNano)
        json.field("end_time_unix_nano", self.endUnixNano)
        json.key("attributes")
        Self.write(self.attributes, to: &json)
        json.key("events")
        json.beginArray()
        for event in self.events {
            json.beginObject()
            json.field("name", event.name)
            json.field("time_unix_nano", event.timeUnixNano)
            json.key("attributes")
            Self.write(event.attributes, to: &json)
            json.endObject()
        }
        json.endArray()
        json.field("status", self.status)
        json.endObject()
    }

    private static func write(_ attributes: [String: SpanAttribute], to json: inout JSONWriter) {
        json.beginObject()
        for (key, value) in attributes {
            json.key(key)
            switch value {
            case .string(let text): json.string(text)
            case .int(let number): json.integer(number)
            case .double(let number): json.number(number)
            case .bool(let flag): json.bool(flag)
            }
        }
        json.endObject()
    }
}

extension RequestSummary {
    /// The same JSON as `Codable` gives (keys as in `CodingKeys`).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("request_id", self.requestID)
        json.field("trace_id", self.traceID)
        json.field("method", self.method)
        json.field("path", self.path)
        json.field("status", self.status)
        json.field("model", self.model)
        json.field("version", self.version)
        json.field("replica", self.replica)
        json.field("device", self.device)
        json.field("start_time_unix_nano", self.startUnixNano)
        json.field("duration_ms", self.durationMilliseconds)
        json.field("ttft_ms", self.timeToFirstTokenMilliseconds)
        json.field("queue_ms", self.queueMilliseconds)
        json.field("inter_token_ms", self.interTokenMilliseconds)
        json.field("prompt_tokens", self.promptTokens)
        json.field("completion_tokens", self.completionTokens)
        json.field("finish_reason", self.finishReason)
        json.field("cancelled", self.cancelled)
        json.field("response_bytes", self.responseBytes)
        json.field("preemptions", self.preemptions)
        json.field("decode_steps", self.decodeSteps)
        json.endObject()
    }
}
