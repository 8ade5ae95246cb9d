/// W3C trace context: each request carries a fresh `traceparent`, so the server's trace for
/// it can be found even when the server does not echo the header back.
enum TraceContext {
    static func randomTraceID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.hex(generator.next(), digits: 16) + Self.hex(generator.next(), digits: 16)
    }

    static func traceparent(traceID: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return "00-\(traceID)-\(Self.hex(generator.next() | 1, digits: 16))-01"
    }

    /// The trace id of a `version-traceid-spanid-flags` header, when it is well formed.
    static func traceID(fromTraceparent header: String) -> String? {
        let parts = header.split(separator: "-")
        guard parts.count >= 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return String(parts[1]).lowercased()
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
