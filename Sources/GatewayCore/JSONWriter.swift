/// Writes JSON into a byte array, keys in the order written, with no intermediate tree and no
/// Foundation: API responses are built once per token, and the trace store encodes every
/// finished request on a thread that shares the cores with the model. Strings are escaped per
/// RFC 8259. The API turns the bytes into one `ByteBuffer` at the end: writing each byte into a
/// `ByteBuffer` cost more than the copy (profiled).
public struct JSONWriter: Sendable {
    /// What was written so far.
    public private(set) var output: [UInt8]
    /// Whether the next key or value needs a comma before it.
    private var needsComma = false

    public init(capacity: Int = 256) {
        self.output = []
        self.output.reserveCapacity(capacity)
    }

    /// What was written, as text.
    public var text: String { String(decoding: self.output, as: UTF8.self) }

    /// Bytes outside the JSON value (SSE framing), written as they are.
    public mutating func raw(_ text: String) {
        self.output.append(contentsOf: text.utf8)
    }

    public mutating func beginObject() {
        self.separate()
        self.output.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    public mutating func endObject() {
        self.output.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    public mutating func beginArray() {
        self.separate()
        self.output.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    public mutating func endArray() {
        self.output.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    public mutating func key(_ key: String) {
        self.separate()
        self.writeEscaped(key)
        self.output.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    /// A key of the program's own that needs no escaping (a literal of plain ASCII), copied
    /// as it is: the trace store writes some sixty keys per request.
    public mutating func key(verbatim key: StaticString) {
        self.separate()
        self.output.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { self.output.append(contentsOf: $0) }
        // Bytes, not `"\":".utf8`: appending a string's view goes through a generic path.
        self.output.append(UInt8(ascii: "\""))
        self.output.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    public mutating func string(_ value: String) {
        self.separate()
        self.writeEscaped(value)
        self.needsComma = true
    }

    /// `Int`, the integer written most: the generic form below is not specialized across
    /// modules, so each call went through witness tables (profiled).
    public mutating func integer(_ value: Int) {
        self.separate()
        if value < 0 { self.output.append(UInt8(ascii: "-")) }
        self.appendDigits(UInt64(value.magnitude))
        self.needsComma = true
    }

    /// `UInt64`, the Unix nanoseconds every span carries; not generic, as for `Int`.
    public mutating func integer(_ value: UInt64) {
        self.separate()
        self.appendDigits(value)
        self.needsComma = true
    }

    public mutating func integer(_ value: some BinaryInteger) {
        self.separate()
        if let magnitude = UInt64(exactly: value) {
            self.appendDigits(magnitude)
        } else if let signed = Int64(exactly: value) {
            self.output.append(UInt8(ascii: "-"))
            self.appendDigits(signed.magnitude)
        } else {
            self.output.append(contentsOf: String(value).utf8)
        }
        self.needsComma = true
    }

    /// A 64-bit identifier as a string of 16 lowercase hex digits (span ids).
    public mutating func string(hexIdentifier value: UInt64) {
        self.separate()
        self.output.append(UInt8(ascii: "\""))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { digits in
            HexIdentifier.write(value, into: digits)
            self.output.append(contentsOf: digits)
        }
        self.output.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Decimal digits written in place: `String(value)` allocates for the 19-digit Unix
    /// nanoseconds every span carries.
    private mutating func appendDigits(_ value: UInt64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
            } while remaining > 0
            self.output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// Non-finite values have no JSON spelling; they are written as `null`.
    public mutating func number(_ value: Float) {
        self.separate()
        self.output.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
        self.needsComma = true
    }

    /// Non-finite values have no JSON spelling; they are written as `null`.
    public mutating func number(_ value: Double) {
        self.separate()
        self.output.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
        self.needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        self.separate()
        self.output.append(contentsOf: (value ? "true" : "false").utf8)
        self.needsComma = true
    }

    public mutating func null() {
        self.separate()
        self.output.append(contentsOf: "null".utf8)
        self.needsComma = true
    }

    /// An array of the bytes' values (OpenAI's `bytes` of a token).
    public mutating func byteArray(_ value: [UInt8]) {
        self.beginArray()
        for byte in value { self.integer(byte) }
        self.endArray()
    }

    public mutating func field(_ key: String, _ value: String) {
        self.key(key)
        self.string(value)
    }

    public mutating func field(_ key: String, _ value: String?) {
        self.key(key)
        if let value { self.string(value) } else { self.null() }
    }

    public mutating func field(_ key: String, _ value: Int) {
        self.key(key)
        self.integer(value)
    }

    public mutating func field(_ key: String, _ value: some BinaryInteger) {
        self.key(key)
        self.integer(value)
    }

    public mutating func field(_ key: String, _ value: Double?) {
        self.key(key)
        if let value { self.number(value) } else { self.null() }
    }

    public mutating func field(_ key: String, _ value: Bool) {
        self.key(key)
        self.bool(value)
    }

    public mutating func field(verbatim key: StaticString, _ value: String) {
        self.key(verbatim: key)
        self.string(value)
    }

    public mutating func field(verbatim key: StaticString, _ value: String?) {
        self.key(verbatim: key)
        if let value { self.string(value) } else { self.null() }
    }

    public mutating func field(verbatim key: StaticString, _ value: Int) {
        self.key(verbatim: key)
        self.integer(value)
    }

    public mutating func field(verbatim key: StaticString, _ value: UInt64) {
        self.key(verbatim: key)
        self.integer(value)
    }

    public mutating func field(verbatim key: StaticString, _ value: some BinaryInteger) {
        self.key(verbatim: key)
        self.integer(value)
    }

    public mutating func field(verbatim key: StaticString, _ value: Double?) {
        self.key(verbatim: key)
        if let value { self.number(value) } else { self.null() }
    }

    public mutating func field(verbatim key: StaticString, _ value: Bool) {
        self.key(verbatim: key)
        self.bool(value)
    }

    public mutating func nullField(_ key: String) {
        self.key(key)
        self.null()
    }

    public mutating func nullField(verbatim key: StaticString) {
        self.key(verbatim: key)
        self.null()
    }

    private mutating func separate() {
        if self.needsComma { self.output.append(UInt8(ascii: ",")) }
    }

    private mutating func writeEscaped(_ value: String) {
        var value = value
        value.withUTF8 { source in
            self.output.append(UInt8(ascii: "\""))
            // Runs of bytes that need no escaping are copied whole.
            var runStart = 0
            for index in source.indices {
                let byte = source[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                self.output.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): self.output.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\\"): self.output.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\n"): self.output.append(contentsOf: "\\n".utf8)
                case UInt8(ascii: "\r"): self.output.append(contentsOf: "\\r".utf8)
                case UInt8(ascii: "\t"): self.output.append(contentsOf: "\\t".utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    self.output.append(contentsOf: "\\u00".utf8)
                    self.output.append(hex[Int(byte >> 4)])
                    self.output.append(hex[Int(byte & 0x0F)])
                }
            }
            self.output.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<source.count]))
            self.output.append(UInt8(ascii: "\""))
        }
    }
}
