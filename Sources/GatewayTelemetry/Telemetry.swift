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
    /// Writes those lines straight from the summary when the logger is a plain JSON one.
    let accessLine: AccessLine?
    let exporters: [any SpanExporter]

    public init(
        store: TraceStore? = nil, metrics: GatewayMetrics = GatewayMetrics(), accessLog: Logger? = nil,
        exporters: [any SpanExporter] = []
    ) {
        self.store = store
        self.metrics = metrics
        self.accessLog = accessLog
        self.accessLine = accessLog.flatMap(AccessLine.init(logger:))
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
            if !self.exporters.isEmpty && trace.context.flags & 1 == 1 {
                let spans = record.spans
                for exporter in self.exporters { exporter.export(spans) }
            }
        }
        self.logAccess(summary)
        return record
    }

    /// Writes what is buffered (the access log) and closes the trace store: `serve` calls it
    /// at shutdown, so a clean stop loses no line and no trace.
    public func close() throws {
        self.accessLine?.sink.flush()
        try self.store?.close()
    }
}

/// Receives every finished request's spans (OTLP export). `export` must return at once:
/// exporters queue and send on their own schedule.
public protocol SpanExporter: Sendable {
    func export(_ spans: [Span])
}
