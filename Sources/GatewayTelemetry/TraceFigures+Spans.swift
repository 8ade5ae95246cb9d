import GatewayCore

/// Receives a trace's spans one at a time, root first, from `TraceFigures.emitSpans`: the
/// `Span` builder and the store's JSON writer read the one walk, so both always hold the
/// same spans, ids and attributes.
protocol SpanSink {
    /// A span's head; `childID` is nil for the root, a child's id otherwise.
    mutating func beginSpan(childID: UInt64?, name: String, startUnixNano: UInt64, endUnixNano: UInt64)
    mutating func attribute(_ key: StaticString, _ value: SpanAttribute)
    /// Events come after all of the span's attributes.
    mutating func event(_ name: String, timeUnixNano: UInt64)
    mutating func endSpan(status: String)
}

extension TraceFigures {
    /// The request's spans: the HTTP request (root), routing, per generation its queue wait,
    /// each prefill chunk and decode, and the stream to the client. Every child is clamped
    /// inside the root, so a cancelled sequence that the engine ended later still nests.
    func emitSpans(into sink: inout some SpanSink) {
        sink.beginSpan(
            childID: nil, name: "\(self.method) \(self.path)", startUnixNano: self.startUnixNano,
            endUnixNano: self.unixNano(self.end))
        sink.attribute("http.request.method", .string(self.method))
        sink.attribute("url.path", .string(self.path))
        sink.attribute("http.response.status_code", .int(self.status))
        sink.attribute("request_id", .string(self.requestID))
        sink.attribute("client.cancelled", .bool(self.cancelled))
        if let model = self.model { sink.attribute("model", .string(model)) }
        if let version = self.version { sink.attribute("model.version", .string(version)) }
        if let replica = self.replica { sink.attribute("replica", .string(replica)) }
        if let device = self.device { sink.attribute("device", .string(device)) }
        if !self.timelines.isEmpty {
            sink.attribute("prompt_tokens", .int(self.promptTokens))
            sink.attribute("completion_tokens", .int(self.completionTokens))
            sink.attribute("kv_blocks_peak", .int(self.peakKVBlocks))
            sink.attribute("prefix_cache_blocks_reused", .int(self.prefixCachedBlocks))
            sink.attribute("preemptions", .int(self.preemptions))
        }
        if let reason = self.finishReason { sink.attribute("finish_reason", .string(reason)) }
        if let ttft = self.timeToFirstTokenMilliseconds { sink.attribute("ttft_ms", .double(ttft)) }
        if let firstToken = self.firstToken { sink.event("first_token", timeUnixNano: self.unixNano(firstToken)) }
        sink.endSpan(status: self.status >= 500 || self.status == 0 ? "error" : "ok")

        var children = 0
        func child(_ name: String, _ from: Instant, _ to: Instant) {
            sink.beginSpan(
                childID: self.childSpanID(children), name: name, startUnixNano: self.unixNano(from),
                endUnixNano: self.unixNano(max(from, to)))
            children += 1
        }

        if let routing = self.routing {
            child("routing", routing.start, routing.end)
            sink.attribute("routing.candidates", .string(routing.candidates.joined(separator: ",")))
            sink.attribute("routing.choice", .string(routing.choice))
            sink.attribute("routing.reason", .string(routing.reason))
            sink.attribute("routing.policy", .string(routing.policy))
            sink.endSpan(status: "ok")
        }
        let several = self.timelines.count > 1
        for (index, timeline) in self.timelines.enumerated() {
            if let arrival = timeline.arrival {
                let admitted = timeline.admitted ?? timeline.finished ?? self.end
                child("queue", arrival, admitted)
                if several { sink.attribute("choice", .int(index)) }
                sink.attribute("queue.wait_ms", .double(RequestTrace.milliseconds(admitted - arrival)))
                sink.attribute("admitted", .bool(timeline.admitted != nil))
                sink.endSpan(status: "ok")
            }
            for (number, chunk) in timeline.prefillChunks.enumerated() {
                child("prefill", chunk.start, chunk.end)
                if several { sink.attribute("choice", .int(index)) }
                sink.attribute("prefill.chunk", .int(number))
                sink.attribute("prefill.tokens", .int(chunk.tokens))
                sink.attribute("prefill.start_position", .int(chunk.startPosition))
                sink.attribute("step.tokens", .int(chunk.stepTokens))
                sink.attribute("step.sequences", .int(chunk.stepSequences))
                sink.attribute("produced_token", .bool(chunk.producedToken))
                sink.attribute("step.simulated_device_ms", .double(RequestTrace.milliseconds(chunk.simulatedDeviceTime)))
                sink.endSpan(status: "ok")
            }
            let decode = timeline.decode
            if let first = decode.firstStart, let last = decode.lastEnd {
                child("decode", first, last)
                if several { sink.attribute("choice", .int(index)) }
                sink.attribute("decode.steps", .int(decode.steps))
                sink.attribute("decode.tokens", .int(decode.tokens))
                sink.attribute("decode.batch_size.min", .int(decode.minBatchSize))
                sink.attribute("decode.batch_size.max", .int(decode.maxBatchSize))
                sink.attribute("decode.batch_size.mean", .double(decode.meanBatchSize))
                sink.attribute("decode.batch_sizes", .string(RequestTrace.batchSizes(decode.batchSizeCounts)))
                sink.attribute("decode.simulated_device_ms", .double(RequestTrace.milliseconds(decode.simulatedDeviceTime)))
                for preemption in timeline.preemptions { sink.event("preempted", timeUnixNano: self.unixNano(preemption)) }
                sink.endSpan(status: "ok")
            }
        }
        if let head = self.headWritten {
            child("stream", head, self.end)
            sink.attribute("stream.writes", .int(self.bodyWrites))
            sink.attribute("stream.bytes", .int(self.bodyBytes))
            sink.endSpan(status: "ok")
        }
    }

    /// The spans as values, attribute dictionaries and all (exporters, tests).
    var spans: [Span] {
        var builder = SpanListBuilder(figures: self)
        self.emitSpans(into: &builder)
        return builder.spans
    }
}

/// Builds `Span` values from the walk.
struct SpanListBuilder: SpanSink {
    let figures: TraceFigures
    var spans: [Span] = []

    mutating func beginSpan(childID: UInt64?, name: String, startUnixNano: UInt64, endUnixNano: UInt64) {
        self.spans.append(
            Span(
                traceID: self.figures.traceID, spanID: childID.map(HexIdentifier.string) ?? self.figures.rootSpanID,
                parentSpanID: childID == nil ? self.figures.parentSpanID : self.figures.rootSpanID, name: name,
                startUnixNano: startUnixNano, endUnixNano: endUnixNano))
    }

    mutating func attribute(_ key: StaticString, _ value: SpanAttribute) {
        self.spans[self.spans.count - 1].attributes[key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }] = value
    }

    mutating func event(_ name: String, timeUnixNano: UInt64) {
        self.spans[self.spans.count - 1].events.append(SpanEvent(name: name, timeUnixNano: timeUnixNano))
    }

    mutating func endSpan(status: String) {
        self.spans[self.spans.count - 1].status = status
    }
}
