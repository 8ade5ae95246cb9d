import Foundation
import GatewayCore
import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import InferenceEngine
import Logging
import NIOCore

/// The OpenAI-compatible API over the models a resolver knows (the registry, or a table of
/// engines): completions, chat completions, models, health. It sits behind `HTTPServer` as
/// its request handler.
public struct OpenAIRequestHandler: HTTPRequestHandler {
    /// Finds the engine for the model name clients send.
    let models: any ModelResolver
    let readiness: ServingReadiness
    let logger: Logger
    /// Unix seconds when the handler was made: the `created` of every model.
    let createdAt: Int
    let responseIDs = ResponseIDs()
    let requestIDs = RequestIDs()
    /// Traces, metrics, access log and the observability endpoints; nil turns them all off.
    let telemetry: Telemetry?

    /// - Parameters:
    ///   - engines: one engine per model name; when two share a name, the first is served.
    ///   - readiness: what `/health/ready` reports; ready unless the caller says otherwise.
    ///   - telemetry: traces every request and serves `/metrics`, `/v1/traces` and `/ui`.
    public init(
        engines: [any TextGenerationEngine],
        readiness: ServingReadiness = ServingReadiness(.ready),
        logger: Logger = Logger(label: "switchyard.api"),
        telemetry: Telemetry? = nil
    ) {
        self.init(models: EngineTable(engines), readiness: readiness, logger: logger, telemetry: telemetry)
    }

    /// - Parameter models: resolves each request's `model` (the registry, for routed models).
    public init(
        models: any ModelResolver,
        readiness: ServingReadiness = ServingReadiness(.ready),
        logger: Logger = Logger(label: "switchyard.api"),
        telemetry: Telemetry? = nil
    ) {
        self.models = models
        self.readiness = readiness
        self.logger = logger
        self.telemetry = telemetry
        self.createdAt = Int(Date().timeIntervalSince1970)
    }

    public func handle(_ request: HTTPServerRequest, writer: any HTTPResponseWriter) async {
        let requestID = self.requestID(for: request.head)
        if let telemetry = self.telemetry {
            await self.respondTraced(request, requestID: requestID, telemetry: telemetry, writer: writer)
        } else {
            await self.respond(request, requestID: requestID, writer: writer)
        }
    }

    /// Routes the request and answers errors raised before anything was written.
    func respond(_ request: HTTPServerRequest, requestID: RequestID, writer: any HTTPResponseWriter) async {
        do {
            try await self.route(request, requestID: requestID, writer: writer)
        } catch let error as APIError {
            // Raised before anything was written: answer it whole.
            self.logger.debug("request refused", metadata: [
                "request_id": "\(requestID)", "status": "\(error.status.code)", "error": "\(error.message)",
            ])
            try? await self.writeError(error, requestID: requestID, writer: writer)
        } catch {
            // The writer failed: the client reset the stream or went away. Nothing to answer.
            self.logger.debug("response abandoned", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
        }
    }

    /// A valid, non-streamed completion for an engine that answers at once (echo). Anything
    /// else, errors included, returns nil and goes through `handle`. With telemetry on, the
    /// request leaves the same trace, metrics and access-log line as through `handle`.
    public func immediateResponse(to request: HTTPServerRequest) -> (HTTPResponse, ByteBuffer)? {
        guard request.head.method == .post, let endpoint = Self.completionEndpoint(path: request.head.path),
            let contentType = request.head.headerFields.value(of: .contentType), Self.isJSONMediaType(contentType)
        else { return nil }
        // The clock is read only for a trace: untraced, it is a system clock call per request.
        let arrival = self.telemetry == nil ? nil : ContinuousClock.now
        let requestID = self.requestID(for: request.head)
        guard
            var prepared = try? self.prepareCompletion(
                request, endpoint: endpoint, requestID: requestID, trace: nil, immediateOnly: true)
        else { return nil }
        guard let telemetry = self.telemetry, let arrival else { return self.immediateCompletion(prepared, requestID: requestID) }
        return self.immediateTracedCompletion(
            &prepared, request: request, requestID: requestID, arrival: arrival, telemetry: telemetry)
    }

    public func response(for rejection: HTTPRequestRejection) -> (HTTPResponse, ByteBuffer) {
        let error: APIError
        switch rejection {
        case .bodyTooLarge(let limit): error = .bodyTooLarge(limit: limit)
        case .headerTimeout: error = .headerTimeout
        }
        return self.errorResponse(error, requestID: self.requestIDs.next())
    }

    /// An incoming `x-request-id` is echoed when it is sane (1–128 of `A-Z a-z 0-9 - _ . :`);
    /// otherwise the request gets a fresh one.
    func requestID(for head: HTTPRequest) -> RequestID {
        if let incoming = head.headerFields.value(of: .requestID), (1...128).contains(incoming.utf8.count),
            incoming.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                    UInt8(ascii: "."), UInt8(ascii: ":"):
                    true
                default: false
                }
            })
        {
            return RequestID(incoming)
        }
        return self.requestIDs.next()
    }
}
