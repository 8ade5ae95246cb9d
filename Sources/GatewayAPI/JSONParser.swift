/// A strict RFC 8259 parser from bytes to `JSONValue`. Foundation's `JSONDecoder` cannot tell
/// a value's type without trying each and throwing, which cost tens of microseconds per
/// request body; this reads each byte once. Hostile input is bounded: nesting is limited and
/// strings must be valid UTF-8.
struct JSONParser {
    struct Failure: Error {}

    static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The document in `bytes`, or `Failure` if it is not exactly one JSON value.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw Failure() }
        return value
    }

    private var current: UInt8? {
        self.position < self.bytes.count ? self.bytes[self.position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.position += 1
        }
    }

    private mutating func expect(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard self.position + count <= self.bytes.count else { throw Failure() }
        for offset in 0..<count where self.bytes[self.position + offset] != literal.utf8Start[offset] {
            throw Failure()
        }
        self.position += count
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw Failure() }
        self.skipWhitespace()
        guard let byte = self.current else { throw Failure() }
        switch byte {
        case UInt8(ascii: "{"): return try self.object(depth: depth)
        case UInt8(ascii: "["): return try self.array(depth: depth)
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): try self.expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.number()
        default: throw Failure()
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        self.position += 1
        // Room for a typical request body's members, so the list is not regrown member by member.
        var members = JSONObject(capacity: 8)
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.position += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else { throw Failure() }
            let key = try self.string()
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { throw Failure() }
            self.position += 1
            // A repeated key keeps its first value, as the typed readers see one field.
            let value = try self.value(depth: depth + 1)
            members.insertIfAbsent(key, value)
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.position += 1
            case UInt8(ascii: "}"): self.position += 1; return .object(members)
            default: throw Failure()
            }
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        self.position += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.position += 1
            return .array(elements)
        }
        while true {
            elements.append(try self.value(depth: depth + 1))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.position += 1
            case UInt8(ascii: "]"): self.position += 1; return .array(elements)
            default: throw Failure()
            }
        }
    }

    private mutating func string() throws -> String {
        self.position += 1
        let start = self.position
        // Fast path: no escapes, so the bytes are the string.
        var ascii = true
        while let byte = self.current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw Failure() }
            ascii = ascii && byte < 0x80
            self.position += 1
        }
        guard let stop = self.current else { throw Failure() }
        if stop == UInt8(ascii: "\"") {
            // ASCII is valid UTF-8 as it is; `String(validating:)` is generic over the encoding
            // and looks up its metadata on every call (profiled), so only other text takes it,
            // as typed bytes (a raw buffer took the element-by-element path).
            let text = UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]).withMemoryRebound(to: UInt8.self) {
                ascii ? String(decoding: $0, as: UTF8.self) : String(validating: $0, as: UTF8.self)
            }
            self.position += 1
            guard let text else { throw Failure() }
            return text
        }
        var decoded = Array(self.bytes[start..<self.position])
        while true {
            guard let byte = self.current else { throw Failure() }
            self.position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: decoded, as: UTF8.self) else { throw Failure() }
                return text
            case UInt8(ascii: "\\"):
                try self.escape(into: &decoded)
            case 0..<0x20:
                throw Failure()
            default:
                decoded.append(byte)
            }
        }
    }

    private mutating func escape(into decoded: inout [UInt8]) throws {
        guard let byte = self.current else { throw Failure() }
        self.position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try self.hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                try self.expect("\\u")
                let low = try self.hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Failure() }
            decoded.append(contentsOf: String(Character(unicode)).utf8)
        default: throw Failure()
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard self.position + 4 <= self.bytes.count else { throw Failure() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure()
            }
            value = value << 4 | UInt32(digit)
            self.position += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; an integer when it has neither
    /// fraction nor exponent and fits 64 bits.
    private mutating func number() throws -> JSONValue {
        let start = self.position
        if self.current == UInt8(ascii: "-") { self.position += 1 }
        guard let first = self.current, Self.isDigit(first) else { throw Failure() }
        self.position += 1
        if first != UInt8(ascii: "0") { self.skipDigits() }
        var integral = true
        if self.current == UInt8(ascii: ".") {
            integral = false
            self.position += 1
            guard let digit = self.current, Self.isDigit(digit) else { throw Failure() }
            self.skipDigits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            integral = false
            self.position += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.position += 1 }
            guard let digit = self.current, Self.isDigit(digit) else { throw Failure() }
            self.skipDigits()
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]), as: UTF8.self)
        if integral, let integer = Int64(text) { return .integer(integer) }
        guard let number = Double(text), number.isFinite else { throw Failure() }
        // An exact whole number written with an exponent or `.0` is still an integer.
        if let integer = Int64(exactly: number) { return .integer(integer) }
        return .number(number)
    }

    private mutating func skipDigits() {
        while let byte = self.current, Self.isDigit(byte) { self.position += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
