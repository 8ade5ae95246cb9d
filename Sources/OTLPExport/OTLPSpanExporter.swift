import GatewayTelemetry
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Sends every finished request's spans to an OTLP/HTTP collector through the ecosystem's
/// libraries: each `GatewayTelemetry.Span` is replayed through swift-distributed-tracing's
/// `Tracer` API (name, kind, start and end time, attributes, events, status, parent) and
/// swift-otel's batch processor and OTLP/HTTP exporter ship it. `export` only starts and ends
/// spans in memory; the batching and the HTTP posts run in `run()`.
///
/// swift-otel 1.6 makes its own span ids (its id generator is not public), so the collector
/// sees the gateway's trace id, the caller's parent span and the same tree, under new span
/// ids; each exported span carries its store id as `switchyard.span_id`.
public final class OTLPSpanExporter: SpanExporter {
    private let tracer: any Tracer
    private let group: ServiceGroup

    /// A tracer posting to `endpoint` (a full OTLP/HTTP traces URL, e.g.
    /// `http://127.0.0.1:4318/v1/traces`), or, when nil, to where the standard
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` variables say;
    /// those and the other `OTEL_*` variables override it (swift-otel applies them).
    /// `logger` takes swift-otel's own diagnostics.
    public init(endpoint: String?, serviceName: String = "switchyard", logger: Logger) throws {
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        if let endpoint { configuration.traces.otlpExporter.endpoint = endpoint }
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        self.tracer = backend.factory
        self.group = ServiceGroup(services: [backend.service], logger: logger)
    }

    /// Whether spans should go out: an endpoint given, or one of the standard variables set.
    public static func isConfigured(endpoint: String?, environment: [String: String]) -> Bool {
        if let endpoint, !endpoint.isEmpty { return true }
        return ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"].contains {
            !(environment[$0] ?? "").isEmpty
        }
    }

    /// Runs `body` while the exporter's batching and sending run beside it; when `body`
    /// returns, the spans still queued are sent (graceful shutdown flushes) before this returns.
    public func withRunning<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await self.group.run() }
            do {
                let result = try await body()
                await self.group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await self.group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    public func export(_ spans: [GatewayTelemetry.Span]) {
        // Parents come before their children in a request's spans (the root first), so each
        // child finds its parent's exported context here.
        var contexts: [String: InstrumentationContext] = [:]
        for span in spans {
            let parent: InstrumentationContext
            var kind = SpanKind.internal
            if let id = span.parentSpanID, let exported = contexts[id] {
                parent = exported
            } else {
                // The request's root: under the caller's span when it sent one, otherwise
                // under the gateway's own root id, so the trace keeps the id the client got.
                parent = self.remoteParent(traceID: span.traceID, spanID: span.parentSpanID ?? span.spanID)
                kind = .server
            }
            let exported = self.tracer.startSpan(
                span.name, context: parent, ofKind: kind,
                at: DefaultTracerClock.Instant(nanosecondsSinceEpoch: span.startUnixNano))
            exported.attributes = Self.attributes(span.attributes, spanID: span.spanID)
            for event in span.events {
                exported.addEvent(
                    Tracing.SpanEvent(
                        name: event.name, at: DefaultTracerClock.Instant(nanosecondsSinceEpoch: event.timeUnixNano),
                        attributes: Self.attributes(event.attributes, spanID: nil)))
            }
            if span.status == "error" { exported.setStatus(SpanStatus(code: .error)) }
            contexts[span.spanID] = exported.context
            exported.end(at: DefaultTracerClock.Instant(nanosecondsSinceEpoch: span.endUnixNano))
        }
    }

    /// A context whose span is the remote `spanID` of trace `traceID`, read through the
    /// tracer's own W3C propagator (sampled: `Telemetry` exports sampled traces only).
    private func remoteParent(traceID: String, spanID: String) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        self.tracer.extract(["traceparent": "00-\(traceID)-\(spanID)-01"], into: &context, using: HeaderExtractor())
        return context
    }

    static func attributes(_ values: [String: GatewayTelemetry.SpanAttribute], spanID: String?) -> SpanAttributes {
        var attributes = SpanAttributes()
        for (key, value) in values {
            switch value {
            case .string(let string): attributes.set(key, value: .string(string))
            case .int(let int): attributes.set(key, value: .int64(Int64(int)))
            case .double(let double): attributes.set(key, value: .double(double))
            case .bool(let bool): attributes.set(key, value: .bool(bool))
            }
        }
        if let spanID { attributes.set("switchyard.span_id", value: .string(spanID)) }
        return attributes
    }
}

/// Reads propagation headers out of a plain dictionary.
struct HeaderExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
