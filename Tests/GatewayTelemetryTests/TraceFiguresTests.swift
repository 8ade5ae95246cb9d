import Foundation
import GatewayCore
import Testing

@testable import GatewayTelemetry

/// The trace store writes span JSON straight from a record's figures and `TraceRecord.spans`
/// builds `Span` values from the same figures: both must give the same spans.
@Suite struct TraceFiguresTests {
    /// A request under a caller's span with a routing decision and two generations.
    static func makeTwoChoiceRecord() -> TraceRecord {
        let trace = RequestTrace(
            requestID: RequestID("req-two"),
            context: .continuing(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: nil),
            method: "POST", path: "/v1/completions")
        trace.recordModel(name: "smollm2", version: "1")
        let t0 = trace.start
        let ms = { (value: Int) in t0 + .milliseconds(value) }
        trace.recordRouting(
            RoutingDecision(
                start: ms(0), end: ms(1), candidates: ["a", "b"], choice: "b", reason: "least-loaded", policy: "lot"))
        for offset in 0..<2 {
            trace.makeTimeline().record { timeline in
                timeline.arrival = ms(1 + offset)
                timeline.admitted = ms(2 + offset)
                timeline.prefillChunks = [
                    .init(start: ms(2), end: ms(4), tokens: 8, startPosition: 0, stepTokens: 8, stepSequences: 1, producedToken: true)
                ]
                timeline.recordToken(at: ms(4))
                timeline.decode.record(start: ms(4), end: ms(5), batchSize: 2, producedToken: true)
                timeline.recordToken(at: ms(5 + offset))
                timeline.finished = ms(6)
                timeline.finishReason = offset == 0 ? "stop" : "length"
            }
        }
        trace.recordHead(status: 200)
        trace.recordBody(bytes: 40)
        trace.recordBody(bytes: 2)
        trace.recordFinish(clientGone: false)
        return trace.finishRecord(at: ms(7))
    }

    /// A response that ended is not cancelled by the client closing afterwards (curl closes
    /// its connection once the response is in, which cancels the handler's task); a client
    /// gone before the end is.
    @Test func aClientLeavingAfterTheEndDoesNotCancelTheRequest() {
        for (calls, cancelled) in [([false, true], false), ([true, false], true), ([false], false)] {
            let trace = RequestTrace(requestID: RequestID("req-end"), context: .continuing(traceparent: nil, tracestate: nil), method: "POST", path: "/v1/completions")
            trace.recordHead(status: 200)
            for clientGone in calls { trace.recordFinish(clientGone: clientGone) }
            #expect(trace.finishRecord(at: trace.start + .milliseconds(3)).summary.cancelled == cancelled, "\(calls)")
        }
    }

    @Test(arguments: [false, true]) func storedSpansAreTheBuiltSpans(twoChoices: Bool) throws {
        let record = twoChoices ? Self.makeTwoChoiceRecord() : makeRecord(requestID: "req-one")
        let built = record.spans
        let stored = try JSONDecoder().decode([Span].self, from: Data(SpanJSONWriter.array(of: record.figures)))
        #expect(stored.count == built.count)
        for (left, right) in zip(stored, built) {
            #expect(left.spanID == right.spanID && left.parentSpanID == right.parentSpanID && left.name == right.name)
            #expect(left.startUnixNano == right.startUnixNano && left.endUnixNano == right.endUnixNano, "\(left.name)")
            #expect(left.events == right.events && left.status == right.status, "\(left.name)")
            #expect(Set(left.attributes.keys) == Set(right.attributes.keys), "\(left.name)")
            for (key, value) in right.attributes {
                // A whole-valued double reads back as an int; compare numbers as numbers.
                if let number = value.doubleValue {
                    #expect(left.attributes[key]?.doubleValue == number, "\(left.name) \(key)")
                } else {
                    #expect(left.attributes[key] == value, "\(left.name) \(key)")
                }
            }
        }
        #expect(Set(built.map(\.spanID)).count == built.count, "span ids are unique")
        #expect(record.spans == built, "every reading gives the same spans")
    }

    @Test func twoGenerationsKeepTheirChoiceAndTotals() throws {
        let record = Self.makeTwoChoiceRecord()
        let spans = record.spans
        #expect(spans.map(\.name) == ["POST /v1/completions", "routing", "queue", "prefill", "decode", "queue", "prefill", "decode", "stream"])
        let root = spans[0]
        #expect(root.parentSpanID == "b7ad6b7169203331")
        #expect(root.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(root.attributes["finish_reason"] == .string("stop,length"))
        #expect(root.attributes["replica"] == .string("b"))
        #expect(root.attributes["completion_tokens"] == .int(4))
        #expect(spans.filter { $0.name == "decode" }.map { $0.attributes["choice"] } == [.int(0), .int(1)])
        #expect(spans[1].attributes["routing.candidates"] == .string("a,b"))
        #expect(spans.last?.attributes["stream.bytes"] == .int(42))
        #expect(record.interTokenGaps == [.milliseconds(1), .milliseconds(2)])
        #expect(record.summary.interTokenMilliseconds == 1.5)
        #expect(record.summary.finishReason == "stop,length")
    }
}
