import Foundation
import GatewayTelemetry
import InferenceEngine
import Logging

/// How `serve` writes its logs.
enum LogFormat: String, CaseIterable {
    /// One JSON object per line (timestamp, level, request id, trace id, metadata).
    case json
    /// swift-log's plain stream handler.
    case text
}

extension ServeCommand {
    /// Bootstraps logging (the process's one backend) and builds the telemetry: metrics always,
    /// the trace store and audit log when a data directory is given, one access-log line per
    /// request.
    static func makeTelemetry(
        dataDirectory: String?, logFormat: LogFormat, engines: [any TextGenerationEngine]
    ) throws -> (Telemetry, Logger) {
        switch logFormat {
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0, sink: .standardError) }
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
        let logger = Logger(label: "switchyard")
        var store: TraceStore?
        if let dataDirectory {
            do {
                store = try TraceStore(directory: dataDirectory)
            } catch {
                throw ServeError("--data-dir \(dataDirectory): cannot open the trace store: \(error)")
            }
            for engine in engines {
                store?.recordLifecycle(LifecycleEvent(kind: "loaded", model: engine.modelName, version: engine.modelVersion))
            }
        }
        let telemetry = Telemetry(store: store, accessLog: Logger(label: "switchyard.access"))
        return (telemetry, logger)
    }
}
