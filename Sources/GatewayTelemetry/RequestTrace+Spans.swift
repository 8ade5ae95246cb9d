import GatewayCore
import Synchronization

extension RequestTrace {
    /// Builds the request's spans and summary once it has ended: the HTTP request (root),
    /// routing, per generation its queue wait, each prefill chunk and decode, and the stream
    /// to the client. Every child is clamped inside the root, so a cancelled sequence that
    /// the engine ended later still nests.
    public func finishRecord(at now: ContinuousClock.Instant = .now) -> TraceRecord {
        let state = self.state.withLock { $0 }
        let timelines = state.timelines.map(\.snapshot)
        let end = max(state.finished ?? now, self.start)
        let traceID = self.context.traceID
        let rootID = self.context.spanID
        let clamp = { (instant: ContinuousClock.Instant) in min(max(instant, self.start), end) }
        let nano = { (instant: ContinuousClock.Instant) in self.unixNano(clamp(instant)) }
        var spans: [Span] = []

        func child(_ name: String, _ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant, _ attributes: [String: SpanAttribute], events: [SpanEvent] = []) {
            spans.append(
                Span(
                    traceID: traceID, spanID: TraceContext.randomSpanID(), parentSpanID: rootID, name: name,
                    startUnixNano: nano(from), endUnixNano: nano(max(from, to)), attributes: attributes, events: events))
        }

        let routing = timelines.lazy.compactMap(\.routing).first ?? state.routing
        if let routing {
            child("routing", routing.start, routing.end, [
                "routing.candidates": .string(routing.candidates.joined(separator: ",")),
                "routing.choice": .string(routing.choice), "routing.reason": .string(routing.reason),
                "routing.policy": .string(routing.policy),
            ])
        }

        var firstToken: ContinuousClock.Instant?
        var queueWait: Duration?
        var promptTokens = 0
        var completionTokens = 0
        var peakBlocks = 0
        var prefixBlocks = 0
        var preemptions = 0
        var decodeSteps = 0
        var decodeTokens = 0
        var finishReasons: [String] = []
        var engineCancelled = false
        for (index, timeline) in timelines.enumerated() {
            var base: [String: SpanAttribute] = [:]
            if timelines.count > 1 { base["choice"] = .int(index) }
            if let arrival = timeline.arrival {
                let admitted = timeline.admitted ?? timeline.finished ?? end
                queueWait = max(queueWait ?? .zero, admitted - arrival)
                var attributes = base
                attributes["queue.wait_ms"] = .double(Self.milliseconds(admitted - arrival))
                attributes["admitted"] = .bool(timeline.admitted != nil)
                child("queue", arrival, admitted, attributes)
            }
            for (number, chunk) in timeline.prefillChunks.enumerated() {
                var attributes = base
                attributes["prefill.chunk"] = .int(number)
                attributes["prefill.tokens"] = .int(chunk.tokens)
                attributes["prefill.start_position"] = .int(chunk.startPosition)
                attributes["step.tokens"] = .int(chunk.stepTokens)
                attributes["step.sequences"] = .int(chunk.stepSequences)
                attributes["produced_token"] = .bool(chunk.producedToken)
                attributes["step.simulated_device_ms"] = .double(Self.milliseconds(chunk.simulatedDeviceTime))
                child("prefill", chunk.start, chunk.end, attributes)
            }
            let decode = timeline.decode
            if let first = decode.firstStart, let last = decode.lastEnd {
                var attributes = base
                attributes["decode.steps"] = .int(decode.steps)
                attributes["decode.tokens"] = .int(decode.tokens)
                attributes["decode.batch_size.min"] = .int(decode.minBatchSize)
                attributes["decode.batch_size.max"] = .int(decode.maxBatchSize)
                attributes["decode.batch_size.mean"] = .double(decode.meanBatchSize)
                attributes["decode.batch_sizes"] = .string(Self.batchSizes(decode.batchSizeCounts))
                attributes["decode.simulated_device_ms"] = .double(Self.milliseconds(decode.simulatedDeviceTime))
                let events = timeline.preemptions.map { SpanEvent(name: "preempted", timeUnixNano: nano($0)) }
                child("decode", first, last, attributes, events: events)
            }
            if let token = timeline.firstToken { firstToken = min(firstToken ?? token, token) }
            let prompt = timeline.prefillChunks.prefix { !$0.producedToken }.reduce(0) { $0 + $1.tokens }
                + (timeline.prefillChunks.first { $0.producedToken }?.tokens ?? 0)
            promptTokens += timeline.prefixCachedTokens + prompt
            completionTokens += timeline.producedTokens
            peakBlocks = max(peakBlocks, timeline.peakKVBlocks)
            prefixBlocks += timeline.prefixCachedBlocks
            preemptions += timeline.preemptions.count
            decodeSteps += decode.steps
            decodeTokens += decode.tokens
            if let reason = timeline.finishReason { finishReasons.append(reason) }
            engineCancelled = engineCancelled || timeline.cancelled
        }

        if let head = state.headWritten {
            child("stream", head, end, ["stream.writes": .int(state.bodyWrites), "stream.bytes": .int(state.bodyBytes)])
        }

        let cancelled = state.clientGone || engineCancelled
        let replica = timelines.lazy.compactMap(\.replica).first ?? routing?.choice
        let device = timelines.lazy.compactMap(\.device).first
        let status = state.status ?? 0
        var root: [String: SpanAttribute] = [
            "http.request.method": .string(self.method), "url.path": .string(self.path),
            "http.response.status_code": .int(status), "request_id": .string(self.requestID.rawValue),
            "client.cancelled": .bool(cancelled),
        ]
        if let model = state.model { root["model"] = .string(model) }
        if let version = state.version { root["model.version"] = .string(version) }
        if let replica { root["replica"] = .string(replica) }
        if let device { root["device"] = .string(device) }
        if !timelines.isEmpty {
            root["prompt_tokens"] = .int(promptTokens)
            root["completion_tokens"] = .int(completionTokens)
            root["kv_blocks_peak"] = .int(peakBlocks)
            root["prefix_cache_blocks_reused"] = .int(prefixBlocks)
            root["preemptions"] = .int(preemptions)
        }
        if !finishReasons.isEmpty { root["finish_reason"] = .string(finishReasons.joined(separator: ",")) }
        var rootEvents: [SpanEvent] = []
        var ttft: Double?
        if let firstToken {
            let at = clamp(firstToken)
            ttft = Self.milliseconds(at - self.start)
            root["ttft_ms"] = .double(ttft ?? 0)
            rootEvents.append(SpanEvent(name: "first_token", timeUnixNano: self.unixNano(at)))
        }
        let rootSpan = Span(
            traceID: traceID, spanID: rootID, parentSpanID: self.context.parentSpanID, name: "\(self.method) \(self.path)",
            startUnixNano: self.startUnixNano, endUnixNano: self.unixNano(end), attributes: root, events: rootEvents,
            status: status >= 500 || status == 0 ? "error" : "ok")
        spans.insert(rootSpan, at: 0)

        let gaps = timelines.flatMap(\.interTokenGaps)
        let interToken = gaps.isEmpty ? nil : Self.milliseconds(gaps.reduce(.zero, +)) / Double(gaps.count)
        let summary = RequestSummary(
            requestID: self.requestID.rawValue, traceID: traceID, method: self.method, path: self.path, status: status,
            model: state.model, version: state.version, replica: replica, device: device,
            startUnixNano: self.startUnixNano, durationMilliseconds: Self.milliseconds(end - self.start),
            timeToFirstTokenMilliseconds: ttft, queueMilliseconds: queueWait.map(Self.milliseconds),
            interTokenMilliseconds: interToken, promptTokens: promptTokens, completionTokens: completionTokens,
            finishReason: finishReasons.isEmpty ? nil : finishReasons.joined(separator: ","), cancelled: cancelled,
            responseBytes: state.bodyBytes, preemptions: preemptions, decodeSteps: decodeSteps)
        return TraceRecord(summary: summary, spans: spans, interTokenGaps: gaps)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        duration.secondsValue * 1e3
    }

    /// `size:steps` pairs of the batch sizes seen, e.g. `1:3,4:12`.
    static func batchSizes(_ counts: [Int]) -> String {
        counts.enumerated().filter { $0.element > 0 }.map { "\($0.offset):\($0.element)" }.joined(separator: ",")
    }
}
