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
        // The event's metadata wins; the access log's handler has none of its own to merge.
        var merged = event.metadata ?? [:]
        if !self.metadata.isEmpty { merged.merge(self.metadata) { event, _ in event } }
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
