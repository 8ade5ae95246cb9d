import GatewayCore
import Logging

/// The gateway's observability in one place: it starts a request's trace and, when the
/// request ends, builds the spans, counts the metrics, writes the access-log line, queues
/// the trace for the store and hands it to the exporters. Nothing here blocks the request on
/// I/O: the store and the exporters batch on threads of their own.
public final class Telemetry: Sendable {
    public let metrics: GatewayMetrics
    /// nil keeps no traces (no data directory).
    public let store: TraceStore?
    /// Receives one `info` line per request with its figures; nil writes none.
    let accessLog: Logger?
    let exporters: [any SpanExporter]

    public init(
        store: TraceStore? = nil, metrics: GatewayMetrics = GatewayMetrics(), accessLog: Logger? = nil,
        exporters: [any SpanExporter] = []
    ) {
        self.store = store
        self.metrics = metrics
        self.accessLog = accessLog
        self.exporters = exporters
    }

    /// A trace for a request that arrived at `start` (now, unless the caller took the
    /// instant earlier), continuing the caller's `traceparent`.
    public func startTrace(
        requestID: RequestID, method: String, path: String, traceparent: String?, tracestate: String?,
        start: ContinuousClock.Instant = .now
    ) -> RequestTrace {
        RequestTrace(
            requestID: requestID, context: .continuing(traceparent: traceparent, tracestate: tracestate),
            method: method, path: path, start: start)
    }

    /// Whether requests to `path` leave traces and request metrics; the observability
    /// endpoints themselves (scrapes, trace queries, the operator page, probes) do not, so
    /// they never crowd out the requests an operator looks for.
    public static func records(path: String) -> Bool {
        !(path == "/metrics" || path.hasPrefix("/v1/traces") || path.hasPrefix("/ui") || path.hasPrefix("/health"))
    }

    /// Ends the request's trace: spans, metrics, access log, store, exporters.
    @discardableResult
    public func finish(_ trace: RequestTrace) -> TraceRecord {
        let record = trace.finishRecord()
        let summary = record.summary
        if Self.records(path: summary.path) {
            self.metrics.observe(summary, interTokenGaps: record.interTokenGaps)
            self.store?.enqueue(record)
            // The store keeps every trace; exporters honour the caller's sampling decision.
            if trace.context.flags & 1 == 1 {
                for exporter in self.exporters { exporter.export(record.spans) }
            }
        }
        self.accessLog?.info("access", metadata: Self.accessMetadata(summary))
        return record
    }

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

/// Receives every finished request's spans (OTLP export). `export` must return at once:
/// exporters queue and send on their own schedule.
public protocol SpanExporter: Sendable {
    func export(_ spans: [Span])
}
