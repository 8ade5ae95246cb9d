import GatewayCore
import Synchronization

extension RequestTrace {
    /// The request's record once it has ended: its summary and the figures its spans are
    /// built from (`TraceFigures.emitSpans`), on demand rather than here.
    public func finishRecord(at now: ContinuousClock.Instant = .now) -> TraceRecord {
        let state = self.state.withLock { $0 }
        let timelines = state.timelines.map(\.snapshot)
        let end = max(state.finished ?? now, self.start)

        var firstToken: ContinuousClock.Instant?
        var queueWait: Duration?
        var promptTokens = 0
        var completionTokens = 0
        var peakBlocks = 0
        var prefixBlocks = 0
        var preemptions = 0
        var decodeSteps = 0
        var finishReasons: [String] = []
        var engineCancelled = false
        for timeline in timelines {
            if let arrival = timeline.arrival {
                let admitted = timeline.admitted ?? timeline.finished ?? end
                queueWait = max(queueWait ?? .zero, admitted - arrival)
            }
            if let token = timeline.firstToken { firstToken = min(firstToken ?? token, token) }
            let prompt = timeline.prefillChunks.prefix { !$0.producedToken }.reduce(0) { $0 + $1.tokens }
                + (timeline.prefillChunks.first { $0.producedToken }?.tokens ?? 0)
            promptTokens += timeline.prefixCachedTokens + prompt
            completionTokens += timeline.producedTokens
            peakBlocks = max(peakBlocks, timeline.peakKVBlocks)
            prefixBlocks += timeline.prefixCachedBlocks
            preemptions += timeline.preemptions.count
            decodeSteps += timeline.decode.steps
            if let reason = timeline.finishReason { finishReasons.append(reason) }
            engineCancelled = engineCancelled || timeline.cancelled
        }
        let routing = timelines.lazy.compactMap(\.routing).first ?? state.routing
        let finishReason = finishReasons.count > 1 ? finishReasons.joined(separator: ",") : finishReasons.first
        let figures = TraceFigures(
            requestID: self.requestID.rawValue, traceID: self.context.traceID, rootSpanID: self.context.spanID,
            parentSpanID: self.context.parentSpanID, method: self.method, path: self.path, start: self.start,
            startUnixNano: self.startUnixNano, end: end, childIDSeed: TraceContext.randomSeed(),
            status: state.status ?? 0, model: state.model, version: state.version, headWritten: state.headWritten,
            bodyWrites: state.bodyWrites, bodyBytes: state.bodyBytes, routing: routing, timelines: timelines,
            cancelled: state.clientGone || engineCancelled,
            replica: timelines.lazy.compactMap(\.replica).first ?? routing?.choice,
            device: timelines.lazy.compactMap(\.device).first, promptTokens: promptTokens,
            completionTokens: completionTokens, peakKVBlocks: peakBlocks, prefixCachedBlocks: prefixBlocks,
            preemptions: preemptions, finishReason: finishReason, firstToken: firstToken.map { min(max($0, self.start), end) })

        var gapCount = 0
        var gapTotal = Duration.zero
        for timeline in timelines {
            gapCount += timeline.interTokenGaps.count
            for gap in timeline.interTokenGaps { gapTotal += gap }
        }
        let summary = RequestSummary(
            requestID: figures.requestID, traceID: figures.traceID, method: self.method, path: self.path,
            status: figures.status, model: state.model, version: state.version, replica: figures.replica,
            device: figures.device, startUnixNano: self.startUnixNano, durationMilliseconds: Self.milliseconds(end - self.start),
            timeToFirstTokenMilliseconds: figures.timeToFirstTokenMilliseconds,
            queueMilliseconds: queueWait.map(Self.milliseconds),
            interTokenMilliseconds: gapCount == 0 ? nil : Self.milliseconds(gapTotal) / Double(gapCount),
            promptTokens: promptTokens, completionTokens: completionTokens, finishReason: finishReason,
            cancelled: figures.cancelled, responseBytes: state.bodyBytes, preemptions: preemptions,
            decodeSteps: decodeSteps)
        return TraceRecord(summary: summary, figures: figures)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        duration.secondsValue * 1e3
    }

    /// `size:steps` pairs of the batch sizes seen, e.g. `1:3,4:12`.
    static func batchSizes(_ counts: [Int]) -> String {
        counts.enumerated().filter { $0.element > 0 }.map { "\($0.offset):\($0.element)" }.joined(separator: ",")
    }
}
