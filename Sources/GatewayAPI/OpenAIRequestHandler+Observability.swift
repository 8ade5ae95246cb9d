import Foundation
import GatewayCore
import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import InferenceEngine
import NIOCore

extension OpenAIRequestHandler {
    /// `/metrics`, `/v1/traces`, `/v1/traces/{trace_id | request_id}`, `/ui` and `/ui/state`;
    /// false for any other path (or when telemetry is off).
    func serveObservability(
        _ request: HTTPServerRequest, path: Substring, requestID: RequestID, writer: any HTTPResponseWriter
    ) async throws -> Bool {
        guard let telemetry = self.telemetry else { return false }
        let isObservability =
            path == "/metrics" || path == "/v1/traces" || path.hasPrefix("/v1/traces/") || path == "/ui"
            || path == "/ui/state"
        guard isObservability else { return false }
        guard request.head.method == .get else { throw APIError.methodNotAllowed(request.head.method, allowed: [.get]) }
        switch path {
        case "/metrics":
            telemetry.metrics.update(replicas: self.replicaLoads(), devices: self.deviceLoads())
            try await self.writeBytes(
                telemetry.metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8",
                requestID: requestID, writer: writer)
        case "/ui":
            try await self.writeBytes(
                Array(OperatorPage.html.utf8), contentType: "text/html; charset=utf-8", requestID: requestID, writer: writer)
        case "/ui/state":
            let state = OperatorState(
                replicas: self.replicaLoads(), devices: self.deviceLoads(),
                recent: try self.traceStore(telemetry).search(TraceQuery()))
            try await self.writeEncodable(state, requestID: requestID, writer: writer)
        case "/v1/traces":
            let query = try TraceQuery(parsing: request.head.path ?? "")
            let found = try self.traceStore(telemetry).search(query)
            try await self.writeEncodable(TraceList(data: found), requestID: requestID, writer: writer)
        default:
            let id = String(path.dropFirst("/v1/traces/".count))
            guard !id.isEmpty, id.utf8.count <= 128, let found = try self.traceStore(telemetry).trace(id: id) else {
                throw APIError(
                    status: .notFound, type: "invalid_request_error", message: "No trace for '\(id.prefix(128))'.",
                    param: "id", code: "trace_not_found")
            }
            try await self.writeEncodable(
                TraceBody(request: found.summary, spans: found.spans), requestID: requestID, writer: writer)
        }
        return true
    }

    private func traceStore(_ telemetry: Telemetry) throws -> TraceStore {
        guard let store = telemetry.store else {
            throw APIError(
                status: .notFound, type: "invalid_request_error",
                message: "Traces are not kept: the gateway runs without a data directory.", code: "traces_disabled")
        }
        return store
    }

    /// Load figures of the replicas this handler serves.
    func replicaLoads() -> [ReplicaLoad] {
        self.models.servingEngines.compactMap { $0 as? LlamaReplica }.map(ReplicaLoad.init(replica:))
    }

    /// HBM in use per simulated device, summed over the replicas pinned to it.
    func deviceLoads() -> [DeviceLoad] {
        var loads: [String: DeviceLoad] = [:]
        var order: [String] = []
        for case let replica as LlamaReplica in self.models.servingEngines {
            for memory in replica.deviceMemory {
                if loads[memory.device] == nil { order.append(memory.device) }
                var load = loads[memory.device] ?? DeviceLoad(device: memory.device, hbmUsedBytes: 0, hbmCapacityBytes: memory.capacityBytes)
                load.hbmUsedBytes += memory.usedBytes
                loads[memory.device] = load
            }
        }
        return order.compactMap { loads[$0] }
    }

    private func writeEncodable(_ value: some Encodable, requestID: RequestID, writer: any HTTPResponseWriter) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes: Data
        do {
            bytes = try encoder.encode(value)
        } catch {
            throw APIError(status: .internalServerError, type: "server_error", message: "\(error)", code: "internal_error")
        }
        try await self.writeBytes(Array(bytes), contentType: "application/json", requestID: requestID, writer: writer)
    }

    private func writeBytes(
        _ bytes: [UInt8], contentType: String, requestID: RequestID, writer: any HTTPResponseWriter
    ) async throws {
        var head = HTTPResponse(status: .ok)
        head.headerFields[.contentType] = contentType
        head.headerFields[.contentLength] = String(bytes.count)
        head.headerFields[.requestID] = requestID.rawValue
        head.headerFields[.cacheControl] = "no-store"
        try await writer.writeHead(head)
        try await writer.writeBody(ByteBuffer(bytes: bytes))
        try await writer.finish()
    }
}

extension ReplicaLoad {
    /// A replica's load figures as of now, under its name (the registry's id when it has one).
    public init(replica: LlamaReplica) {
        let statistics = replica.statistics
        self.init(
            replica: replica.replicaName, running: statistics.running, waiting: statistics.waiting,
            usedBlocks: statistics.usedBlocks, totalBlocks: statistics.totalBlocks,
            prefixCacheHitRate: statistics.prefixCacheHitRate, steps: statistics.steps,
            generatedTokens: statistics.generatedTokens)
    }
}

/// `GET /v1/traces/{id}`.
struct TraceBody: Encodable {
    var object = "trace"
    var request: RequestSummary
    var spans: [Span]
}

/// `GET /v1/traces`.
struct TraceList: Encodable {
    var object = "list"
    var data: [RequestSummary]
}

/// `GET /ui/state`: what the operator page draws besides a trace.
struct OperatorState: Encodable {
    var replicas: [ReplicaLoad]
    var devices: [DeviceLoad]
    var recent: [RequestSummary]
}
