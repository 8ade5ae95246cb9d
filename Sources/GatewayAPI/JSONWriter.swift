import NIOCore

/// Writes JSON straight into a `ByteBuffer`, keys in the order written (OpenAI's order), with
/// no intermediate tree: responses are built once per token, so this stays allocation-light.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    /// Whether the next key or value needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 256) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Bytes outside the JSON value (SSE framing), written as they are.
    mutating func raw(_ text: String) {
        self.buffer.writeString(text)
    }

    mutating func beginObject() {
        self.separate()
        self.buffer.writeInteger(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func endObject() {
        self.buffer.writeInteger(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func beginArray() {
        self.separate()
        self.buffer.writeInteger(UInt8(ascii: "["))
        self.needsComma = false
    }

    mutating func endArray() {
        self.buffer.writeInteger(UInt8(ascii: "]"))
        self.needsComma = true
    }

    mutating func key(_ key: String) {
        self.separate()
        self.writeEscaped(key)
        self.buffer.writeInteger(UInt8(ascii: ":"))
        self.needsComma = false
    }

    mutating func string(_ value: String) {
        self.separate()
        self.writeEscaped(value)
        self.needsComma = true
    }

    mutating func integer(_ value: Int) {
        self.separate()
        self.buffer.writeString(String(value))
        self.needsComma = true
    }

    /// Non-finite values have no JSON spelling; they are written as `null`.
    mutating func number(_ value: Float) {
        self.separate()
        self.buffer.writeString(value.isFinite ? value.description : "null")
        self.needsComma = true
    }

    mutating func null() {
        self.separate()
        self.buffer.writeString("null")
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
        if self.needsComma { self.buffer.writeInteger(UInt8(ascii: ",")) }
    }

    private mutating func writeEscaped(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            self.buffer.writeInteger(UInt8(ascii: "\""))
            // Runs of bytes that need no escaping are copied whole.
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                self.buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<index])))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): self.buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): self.buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\n"): self.buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): self.buffer.writeStaticString("\\r")
                case UInt8(ascii: "\t"): self.buffer.writeStaticString("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    self.buffer.writeStaticString("\\u00")
                    self.buffer.writeInteger(hex[Int(byte >> 4)])
                    self.buffer.writeInteger(hex[Int(byte & 0x0F)])
                }
            }
            self.buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])))
            self.buffer.writeInteger(UInt8(ascii: "\""))
        }
    }
}
