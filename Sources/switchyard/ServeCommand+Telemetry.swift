import Foundation
import GatewayTelemetry
import Logging
import OTLPExport

/// How `serve` writes its logs.
enum LogFormat: String, CaseIterable {
    /// One JSON object per line (timestamp, level, request id, trace id, metadata).
    case json
    /// swift-log's plain stream handler.
    case text
}

extension ServeCommand {
    /// Bootstraps logging (the process's one backend) and builds the telemetry: metrics, the
    /// trace store (with each request's audit row) in the data directory, one access-log line
    /// per request, and the OTLP exporter when an endpoint is configured. Model lifecycle
    /// events are the registry's audit log.
    static func makeTelemetry(
        dataDirectory: String, logFormat: LogFormat, otlpEndpoint: String?
    ) throws -> (Telemetry, Logger, OTLPSpanExporter?) {
        switch logFormat {
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0, sink: .standardError) }
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
        let logger = Logger(label: "switchyard")
        let store: TraceStore
        do {
            try FileManager.default.createDirectory(
                atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            store = try TraceStore(directory: dataDirectory)
        } catch {
            throw ServeError("--data-dir \(dataDirectory): cannot open the trace store: \(error)")
        }
        var exporter: OTLPSpanExporter?
        if OTLPSpanExporter.isConfigured(endpoint: otlpEndpoint, environment: ProcessInfo.processInfo.environment) {
            do {
                exporter = try OTLPSpanExporter(endpoint: otlpEndpoint, logger: Logger(label: "switchyard.otlp"))
            } catch {
                throw ServeError("--otlp-endpoint: cannot export traces: \(error)")
            }
        }
        let telemetry = Telemetry(
            store: store, accessLog: Logger(label: "switchyard.access"), exporters: exporter.map { [$0] } ?? [])
        return (telemetry, logger, exporter)
    }
}
