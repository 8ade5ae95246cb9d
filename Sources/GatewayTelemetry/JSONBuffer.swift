/// Writes JSON into bytes without Foundation's encoder: the trace store encodes every
/// finished request on its writer thread, which shares the cores with the model, so this is
/// kept to appends into one buffer. Strings are escaped per RFC 8259.
struct JSONBuffer {
    private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current object or array needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 1024) {
        self.bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        self.separate()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func beginArray() {
        self.separate()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    mutating func key(_ name: String) {
        self.separate()
        self.appendString(name)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    mutating func string(_ value: String) {
        self.separate()
        self.appendString(value)
        self.needsComma = true
    }

    mutating func number(_ value: some BinaryInteger) {
        self.separate()
        self.bytes.append(contentsOf: String(value).utf8)
        self.needsComma = true
    }

    mutating func number(_ value: Double) {
        self.separate()
        self.bytes.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        self.needsComma = true
    }

    mutating func bool(_ value: Bool) {
        self.separate()
        self.bytes.append(contentsOf: (value ? "true" : "false").utf8)
        self.needsComma = true
    }

    mutating func null() {
        self.separate()
        self.bytes.append(contentsOf: "null".utf8)
        self.needsComma = true
    }

    mutating func field(_ name: String, _ value: String?) {
        self.key(name)
        if let value { self.string(value) } else { self.null() }
    }

    mutating func field(_ name: String, _ value: Int) {
        self.key(name)
        self.number(value)
    }

    mutating func field(_ name: String, _ value: UInt64) {
        self.key(name)
        self.number(value)
    }

    mutating func field(_ name: String, _ value: Double?) {
        self.key(name)
        if let value { self.number(value) } else { self.null() }
    }

    mutating func field(_ name: String, _ value: Bool) {
        self.key(name)
        self.bool(value)
    }

    var text: String { String(decoding: self.bytes, as: UTF8.self) }

    private mutating func separate() {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendString(_ text: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): self.bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): self.bytes.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): self.bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                self.bytes.append(contentsOf: "\\u00".utf8)
                self.bytes.append(digits[Int(byte >> 4)])
                self.bytes.append(digits[Int(byte & 0xF)])
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}

extension Span {
    /// The same JSON as `Codable` gives (keys as in `CodingKeys`).
    func write(to json: inout JSONBuffer) {
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

    private static func write(_ attributes: [String: SpanAttribute], to json: inout JSONBuffer) {
        json.beginObject()
        for (key, value) in attributes {
            json.key(key)
            switch value {
            case .string(let text): json.string(text)
            case .int(let number): json.number(number)
            case .double(let number): json.number(number)
            case .bool(let flag): json.bool(flag)
            }
        }
        json.endObject()
    }
}

extension RequestSummary {
    /// The same JSON as `Codable` gives (keys as in `CodingKeys`).
    func write(to json: inout JSONBuffer) {
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
