/// One span of a request's trace, as stored, served by `/v1/traces` and exported.
public struct Span: Sendable, Codable, Equatable {
    public var traceID: String
    public var spanID: String
    /// nil for a root span that started the trace; the caller's span when it came with one.
    public var parentSpanID: String?
    public var name: String
    public var startUnixNano: UInt64
    public var endUnixNano: UInt64
    public var attributes: [String: SpanAttribute]
    public var events: [SpanEvent]
    /// `ok` or `error`.
    public var status: String

    public init(
        traceID: String, spanID: String, parentSpanID: String?, name: String, startUnixNano: UInt64,
        endUnixNano: UInt64, attributes: [String: SpanAttribute] = [:], events: [SpanEvent] = [], status: String = "ok"
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.startUnixNano = startUnixNano
        self.endUnixNano = max(startUnixNano, endUnixNano)
        self.attributes = attributes
        self.events = events
        self.status = status
    }

    public var durationMilliseconds: Double { Double(self.endUnixNano - self.startUnixNano) / 1e6 }

    enum CodingKeys: String, CodingKey {
        case traceID = "trace_id"
        case spanID = "span_id"
        case parentSpanID = "parent_span_id"
        case name
        case startUnixNano = "start_time_unix_nano"
        case endUnixNano = "end_time_unix_nano"
        case attributes, events, status
    }
}

/// A point in time inside a span (`first_token`, `preempted`).
public struct SpanEvent: Sendable, Codable, Equatable {
    public var name: String
    public var timeUnixNano: UInt64
    public var attributes: [String: SpanAttribute]

    public init(name: String, timeUnixNano: UInt64, attributes: [String: SpanAttribute] = [:]) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey {
        case name
        case timeUnixNano = "time_unix_nano"
        case attributes
    }
}

/// An attribute value; encoded as the plain JSON value.
public enum SpanAttribute: Sendable, Codable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }

    public var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
