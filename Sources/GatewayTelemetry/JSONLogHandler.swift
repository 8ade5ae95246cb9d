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
        // The access log's handler has no metadata of its own: take the event's as it is
        // rather than rebuilding it key by key.
        var merged = event.metadata ?? [:]
        if !self.metadata.isEmpty { merged.merge(self.metadata) { fromEvent, _ in fromEvent } }
        if let trace = RequestTrace.current {
            if merged["request_id"] == nil { line.field("request_id", trace.requestID.rawValue) }
            if merged["trace_id"] == nil { line.field("trace_id", trace.context.traceID) }
        }
        for key in merged.keys.sorted() {
            if let value = merged[key] { line.field(key, value) }
        }
        self.sink.write(line.finish())
    }

    /// `2026-11-26T05:06:54.273Z`, written digit by digit into one string: this runs for
    /// every access-log line, and padding each part as a string of its own cost seven.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            func put(_ value: Int, digits: Int, then separator: UInt8) {
                var divisor = 1
                for _ in 1..<digits { divisor *= 10 }
                while divisor > 0 {
                    buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (value / divisor) % 10)
                    index += 1
                    divisor /= 10
                }
                buffer[index] = separator
                index += 1
            }
            put(Int(parts.tm_year) + 1900, digits: 4, then: UInt8(ascii: "-"))
            put(Int(parts.tm_mon) + 1, digits: 2, then: UInt8(ascii: "-"))
            put(Int(parts.tm_mday), digits: 2, then: UInt8(ascii: "T"))
            put(Int(parts.tm_hour), digits: 2, then: UInt8(ascii: ":"))
            put(Int(parts.tm_min), digits: 2, then: UInt8(ascii: ":"))
            put(Int(parts.tm_sec), digits: 2, then: UInt8(ascii: "."))
            put(spec.tv_nsec / 1_000_000, digits: 3, then: UInt8(ascii: "Z"))
            return index
        }
    }
}

/// One log line: a JSON object and a newline.
struct JSONLine {
    private var json = JSONWriter(capacity: 256)

    init() {
        self.json.beginObject()
    }

    mutating func field(_ key: String, _ value: String) {
        self.json.field(key, value)
    }

    mutating func field(_ key: String, _ value: Double) {
        self.json.key(key)
        self.json.number(value)
    }

    mutating func field(_ key: String, _ value: Int) {
        self.json.field(key, value)
    }

    mutating func field(_ key: String, _ value: Bool) {
        self.json.field(key, value)
    }

    mutating func field(_ key: String, _ value: Logger.Metadata.Value) {
        switch value {
        case .string(let text): self.field(key, text)
        case .stringConvertible(let convertible): self.field(key, convertible.description)
        case .array, .dictionary: self.field(key, value.description)
        }
    }

    mutating func finish() -> [UInt8] {
        self.json.endObject()
        self.json.raw("\n")
        return self.json.output
    }
}
