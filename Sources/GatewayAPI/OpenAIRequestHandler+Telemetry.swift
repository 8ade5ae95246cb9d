import GatewayCore
import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import InferenceEngine
import NIOCore

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

    /// The fast path's answer with the trace `respondTraced` would leave for it: started at
    /// `arrival` (before parsing), the model and one timeline per generation (the engine
    /// fills them), `traceparent` in the head, and head, body and end recorded as the
    /// transport takes them, which is at once. The trace is made only once the request is
    /// known to be answered here, so a request that goes on to `handle` starts just one.
    func immediateTracedCompletion(
        _ prepared: inout PreparedCompletion, request: HTTPServerRequest, requestID: RequestID,
        arrival: ContinuousClock.Instant, telemetry: Telemetry
    ) -> (HTTPResponse, ByteBuffer)? {
        let path = Self.pathWithoutQuery(request.head.path)
        let fields = request.head.headerFields
        let trace = telemetry.startTrace(
            requestID: requestID, method: request.head.method.rawValue,
            path: String(path), traceparent: fields[.traceparent], tracestate: fields[.tracestate], start: arrival)
        trace.recordModel(prepared.engine)
        for index in prepared.generations.indices { prepared.generations[index].timeline = trace.makeTimeline() }
        guard let (immediateHead, body) = self.immediateCompletion(prepared, requestID: requestID) else { return nil }
        var head = immediateHead
        TracedResponseWriter.addTraceContext(of: trace, to: &head)
        trace.recordHead(status: head.status.code)
        trace.recordBody(bytes: body.readableBytes)
        trace.recordFinish(clientGone: false)
        telemetry.finish(trace)
        return (head, body)
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
