import Foundation
import GatewayCore
import Glibc
import Logging
import Synchronization

/// Where JSON log lines go. Lines logged through swift-log are written at once, one `write`
/// per line under a lock, so lines from concurrent requests never interleave. Access lines
/// (`writeBuffered`) collect in a buffer that goes out when it fills, every 100 ms, before
/// any other line, at `flush` and when the sink is released: one `write` per line was a
/// system call per request.
public final class JSONLogSink: Sendable {
    struct State {
        var handle: FileHandle
        var buffered: [UInt8] = []
        var flusherStarted = false
    }

    private let state: Mutex<State>
    /// A buffer this long is written at once.
    static let bufferLimit = 64 << 10
    static let flushInterval: Duration = .milliseconds(100)

    public init(_ handle: FileHandle) {
        self.state = Mutex(State(handle: handle))
    }

    deinit {
        self.flush()
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

    /// Writes `line` now, after whatever is buffered.
    func write(_ line: [UInt8]) {
        self.state.withLock { state in
            if state.buffered.isEmpty {
                Self.write(line, to: state.handle)
            } else {
                state.buffered.append(contentsOf: line)
                Self.write(state.buffered, to: state.handle)
                state.buffered.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Adds `line` to the buffer.
    func writeBuffered(_ line: [UInt8]) {
        let startFlusher = self.state.withLock { state in
            state.buffered.append(contentsOf: line)
            if state.buffered.count >= Self.bufferLimit {
                Self.write(state.buffered, to: state.handle)
                state.buffered.removeAll(keepingCapacity: true)
            }
            defer { state.flusherStarted = true }
            return !state.flusherStarted
        }
        if startFlusher { self.startFlusher() }
    }

    /// Writes what is buffered.
    public func flush() {
        self.state.withLock { state in
            guard !state.buffered.isEmpty else { return }
            Self.write(state.buffered, to: state.handle)
            state.buffered.removeAll(keepingCapacity: true)
        }
    }

    /// A thread that flushes the buffer every `flushInterval` while the sink lives.
    private func startFlusher() {
        let interval = UInt32(Self.flushInterval.secondsValue * 1e6)
        let thread = Thread { [weak self] in
            while true {
                usleep(interval)
                guard let sink = self else { return }
                sink.flush()
            }
        }
        thread.name = "access log flusher"
        thread.start()
    }

    /// `write(2)` until every byte is out; a failed write drops the rest (logging must never
    /// take the gateway down).
    private static func write(_ bytes: [UInt8], to handle: FileHandle) {
        let descriptor = handle.fileDescriptor
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
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
    private var json: JSONWriter

    /// An access line is 400–500 bytes: room for it up front saves growing the array twice.
    init(capacity: Int = 256) {
        self.json = JSONWriter(capacity: capacity)
        self.json.beginObject()
    }

    mutating func field(_ key: String, _ value: String) {
        self.json.field(key, value)
    }

    /// A field whose key is a literal of plain ASCII, copied without escaping.
    mutating func field(verbatim key: StaticString, _ value: String) {
        self.json.field(verbatim: key, value)
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
