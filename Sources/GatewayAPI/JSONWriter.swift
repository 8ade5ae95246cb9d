import NIOCore

/// Writes JSON into a byte array, keys in the order written (OpenAI's order), with no
/// intermediate tree: responses are built once per token, so this stays allocation-light.
/// Bytes gather in an array (a plain append per byte) and become one `ByteBuffer` at the end:
/// writing each byte into a `ByteBuffer` cost more than the copy (profiled).
struct JSONWriter {
    private var bytes: [UInt8]
    /// Whether the next key or value needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 256) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// What was written, in one buffer.
    var buffer: ByteBuffer { ByteBuffer(bytes: self.bytes) }

    /// Bytes outside the JSON value (SSE framing), written as they are.
    mutating func raw(_ text: String) {
        self.bytes.append(contentsOf: text.utf8)
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

    mutating func key(_ key: String) {
        self.separate()
        self.writeEscaped(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    mutating func string(_ value: String) {
        self.separate()
        self.writeEscaped(value)
        self.needsComma = true
    }

    mutating func integer(_ value: Int) {
        self.separate()
        self.bytes.append(contentsOf: String(value).utf8)
        self.needsComma = true
    }

    /// Non-finite values have no JSON spelling; they are written as `null`.
    mutating func number(_ value: Float) {
        self.separate()
        self.bytes.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
        self.needsComma = true
    }

    mutating func null() {
        self.separate()
        self.bytes.append(contentsOf: "null".utf8)
        self.needsComma = true
    }

    mutating func bytes(_ value: [UInt8]) {
        self.beginArray()
        for byte in value { self.integer(Int(byte)) }
        self.endArray()
    }

    mutating func field(_ key: String, _ value: String) {
        self.key(key)
        self.string(value)
    }

    mutating func field(_ key: String, _ value: Int) {
        self.key(key)
        self.integer(value)
    }

    mutating func field(_ key: String, _ value: String?) {
        self.key(key)
        if let value { self.string(value) } else { self.null() }
    }

    mutating func nullField(_ key: String) {
        self.key(key)
        self.null()
    }

    private mutating func separate() {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func writeEscaped(_ value: String) {
        var value = value
        value.withUTF8 { source in
            self.bytes.append(UInt8(ascii: "\""))
            // Runs of bytes that need no escaping are copied whole.
            var runStart = 0
            for index in source.indices {
                let byte = source[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): self.bytes.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\\"): self.bytes.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\n"): self.bytes.append(contentsOf: "\\n".utf8)
                case UInt8(ascii: "\r"): self.bytes.append(contentsOf: "\\r".utf8)
                case UInt8(ascii: "\t"): self.bytes.append(contentsOf: "\\t".utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    self.bytes.append(contentsOf: "\\u00".utf8)
                    self.bytes.append(hex[Int(byte >> 4)])
                    self.bytes.append(hex[Int(byte & 0x0F)])
                }
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<source.count]))
            self.bytes.append(UInt8(ascii: "\""))
        }
    }
}
