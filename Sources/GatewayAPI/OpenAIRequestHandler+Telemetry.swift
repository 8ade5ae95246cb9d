import GatewayCore
import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import InferenceEngine

extension OpenAIRequestHandler {
    /// Serves the request inside its trace: `RequestTrace.current` is set for the engines and
    /// the log handler, the writer returns `traceparent`, and the trace ends with the request
    /// (also when the client went away and the task was cancelled).
    func respondTraced(
        _ request: HTTPServerRequest, requestID: RequestID, telemetry: Telemetry, writer: any HTTPResponseWriter
    ) async {
        let fullPath = request.head.path ?? ""
        let path = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let trace = telemetry.startTrace(
            requestID: requestID, method: request.head.method.rawValue, path: path,
            traceparent: request.head.headerFields[.traceparent], tracestate: request.head.headerFields[.tracestate])
        let traced = TracedResponseWriter(base: writer, trace: trace)
        await RequestTrace.$current.withValue(trace) {
            await self.respond(request, requestID: requestID, writer: traced)
        }
        if Task.isCancelled { trace.recordFinish(clientGone: true) }
        telemetry.finish(trace)
    }
}

extension RequestTrace {
    /// The model version the API picked and, as the routing span, that choice: the API's
    /// table has one engine per model name. A router records a fuller decision in the
    /// generation's timeline, which wins.
    func recordModel(_ engine: any TextGenerationEngine) {
        let now = ContinuousClock.now
        let replica = "\(engine.modelName)@\(engine.modelVersion)"
        self.recordModel(name: engine.modelName, version: engine.modelVersion)
        self.recordRouting(
            RoutingDecision(
                start: now, end: now, candidates: [replica], choice: replica, reason: "only replica of the model",
                policy: "static"))
    }
}
