import GatewayCore
import Logging

extension Telemetry {
    /// One `access` line per request, with its figures.
    func logAccess(_ summary: RequestSummary) {
        if let accessLine = self.accessLine {
            accessLine.write(summary)
        } else {
            self.accessLog?.info("access", metadata: Self.accessMetadata(summary))
        }
    }

    /// The access line's fields as swift-log metadata, for any log handler.
    static func accessMetadata(_ summary: RequestSummary) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "request_id": "\(summary.requestID)", "trace_id": "\(summary.traceID)", "method": "\(summary.method)",
            "path": "\(summary.path)", "status": "\(summary.status)",
            "duration_ms": "\(Self.rounded(summary.durationMilliseconds))", "bytes": "\(summary.responseBytes)",
        ]
        if let model = summary.model { metadata["model"] = "\(model)" }
        if let version = summary.version { metadata["version"] = "\(version)" }
        if let replica = summary.replica { metadata["replica"] = "\(replica)" }
        if let ttft = summary.timeToFirstTokenMilliseconds { metadata["ttft_ms"] = "\(Self.rounded(ttft))" }
        if let queue = summary.queueMilliseconds { metadata["queue_ms"] = "\(Self.rounded(queue))" }
        if summary.promptTokens > 0 || summary.completionTokens > 0 {
            metadata["prompt_tokens"] = "\(summary.promptTokens)"
            metadata["completion_tokens"] = "\(summary.completionTokens)"
        }
        if let reason = summary.finishReason { metadata["finish_reason"] = "\(reason)" }
        if summary.cancelled { metadata["cancelled"] = "true" }
        return metadata
    }

    static func rounded(_ milliseconds: Double) -> Double { (milliseconds * 1000).rounded() / 1000 }
}

/// The access line written straight from the summary into the JSON sink's buffer: the same
/// object `JSONLogHandler.log` writes for `Telemetry.accessMetadata` (its keys sorted, every
/// value a string), without the metadata dictionary, the merge and the sort, and without a
/// `write` call per line (the sink flushes every 100 ms and at `Telemetry.close`). Building
/// and writing the line through swift-log took ~7% of a traced echo request.
struct AccessLine: Sendable {
    let sink: JSONLogSink
    let label: String

    /// nil unless `logger` writes `info` lines through a `JSONLogHandler` of no metadata of
    /// its own (any other handler gets the metadata through swift-log).
    init?(logger: Logger) {
        guard let handler = logger.handler as? JSONLogHandler, handler.metadata.isEmpty, logger.logLevel <= .info
        else { return nil }
        self.sink = handler.sink
        self.label = handler.label
    }

    func write(_ summary: RequestSummary) {
        var line = JSONLine(capacity: 640)
        line.field(verbatim: "timestamp", JSONLogHandler.timestamp())
        line.field(verbatim: "level", Logger.Level.info.rawValue)
        line.field(verbatim: "label", self.label)
        line.field(verbatim: "message", "access")
        line.field(verbatim: "bytes", String(summary.responseBytes))
        if summary.cancelled { line.field(verbatim: "cancelled", "true") }
        let tokens = summary.promptTokens > 0 || summary.completionTokens > 0
        if tokens { line.field(verbatim: "completion_tokens", String(summary.completionTokens)) }
        line.field(verbatim: "duration_ms", String(Telemetry.rounded(summary.durationMilliseconds)))
        if let reason = summary.finishReason { line.field(verbatim: "finish_reason", reason) }
        line.field(verbatim: "method", summary.method)
        if let model = summary.model { line.field(verbatim: "model", model) }
        line.field(verbatim: "path", summary.path)
        if tokens { line.field(verbatim: "prompt_tokens", String(summary.promptTokens)) }
        if let queue = summary.queueMilliseconds { line.field(verbatim: "queue_ms", String(Telemetry.rounded(queue))) }
        if let replica = summary.replica { line.field(verbatim: "replica", replica) }
        line.field(verbatim: "request_id", summary.requestID)
        line.field(verbatim: "status", String(summary.status))
        line.field(verbatim: "trace_id", summary.traceID)
        if let ttft = summary.timeToFirstTokenMilliseconds { line.field(verbatim: "ttft_ms", String(Telemetry.rounded(ttft))) }
        if let version = summary.version { line.field(verbatim: "version", version) }
        self.sink.writeBuffered(line.finish())
    }
}
