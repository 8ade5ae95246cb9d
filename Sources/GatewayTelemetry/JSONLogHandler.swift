import Foundation
import GatewayCore
import Logging
import Synchronization

/// Where JSON log lines go: one `write` per line under a lock, so lines from concurrent
/// requests never interleave.
public final class JSONLogSink: Sendable {
    private let handle: Mutex<FileHandle>

    public init(_ handle: FileHandle) {
        self.handle = Mutex(handle)
    }

    /// Standard error, the default for `switchyard serve`.
    public static let standardError = JSONLogSink(.standardError)

    /// Appends to the file at `path`, creating it.
    public static func file(_ path: String) throws -> JSONLogSink {
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle.seekToEndOfFile()
        return JSONLogSink(handle)
    }

    func write(_ line: [UInt8]) {
        self.handle.withLock { $0.write(Data(line)) }
    }
}

/// A swift-log handler writing one JSON object per line: `timestamp` (RFC 3339, UTC, with
/// milliseconds), `level`, `label`, `message`, the `request_id` and `trace_id` of the request
/// the logging task serves (from `RequestTrace.current`), then the metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let sink: JSONLogSink

    public init(label: String, sink: JSONLogSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = JSONLine()
        line.field("timestamp", Self.timestamp())
        line.field("level", event.level.rawValue)
        line.field("label", self.label)
        line.field("message", "\(event.message)")
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let trace = RequestTrace.current {
            if merged["request_id"] == nil { line.field("request_id", trace.requestID.rawValue) }
            if merged["trace_id"] == nil { line.field("trace_id", trace.context.traceID) }
        }
        for key in merged.keys.sorted() {
            if let value = merged[key] { line.field(key, value) }
        }
        self.sink.write(line.finish())
    }

    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = spec.tv_nsec / 1_000_000
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}

/// Builds one JSON object as bytes, escaping strings per RFC 8259.
struct JSONLine {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    mutating func field(_ key: String, _ value: String) {
        self.key(key)
        self.string(value)
    }

    mutating func field(_ key: String, _ value: Double) {
        self.key(key)
        self.bytes.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
    }

    mutating func field(_ key: String, _ value: Int) {
        self.key(key)
        self.bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: String, _ value: Bool) {
        self.key(key)
        self.bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(_ key: String, _ value: Logger.Metadata.Value) {
        switch value {
        case .string(let text): self.field(key, text)
        case .stringConvertible(let convertible): self.field(key, convertible.description)
        case .array, .dictionary: self.field(key, value.description)
        }
    }

    mutating func finish() -> [UInt8] {
        self.bytes.append(contentsOf: "}\n".utf8)
        return self.bytes
    }

    private mutating func key(_ key: String) {
        if !self.first { self.bytes.append(UInt8(ascii: ",")) }
        self.first = false
        self.string(key)
        self.bytes.append(UInt8(ascii: ":"))
    }

    private mutating func string(_ text: String) {
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
