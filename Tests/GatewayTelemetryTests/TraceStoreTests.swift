import Foundation
import GatewayCore
import Testing

@testable import GatewayTelemetry

/// A finished request made by hand: a trace whose one generation ran two prefill chunks
/// (the second sampling the first token), three decode steps and one preemption.
func makeRecord(requestID: String, model: String = "smollm2", status: Int = 200) -> TraceRecord {
    let trace = RequestTrace(
        requestID: RequestID(requestID), context: .random(), method: "POST", path: "/v1/chat/completions")
    trace.recordModel(name: model, version: "1")
    let timeline = trace.makeTimeline()
    let t0 = trace.start
    let ms = { (value: Int) in t0 + .milliseconds(value) }
    timeline.record { timeline in
        timeline.arrival = ms(1)
        timeline.admitted = ms(3)
        timeline.replica = "\(model)@1"
        timeline.prefillChunks = [
            .init(start: ms(3), end: ms(5), tokens: 16, startPosition: 0, stepTokens: 20, stepSequences: 2, producedToken: false),
            .init(start: ms(5), end: ms(7), tokens: 4, startPosition: 16, stepTokens: 6, stepSequences: 3, producedToken: true),
        ]
        timeline.firstToken = ms(7)
        timeline.decode.record(start: ms(7), end: ms(8), batchSize: 3, producedToken: true)
        timeline.decode.record(start: ms(8), end: ms(9), batchSize: 2, producedToken: true)
        timeline.decode.record(start: ms(9), end: ms(10), batchSize: 2, producedToken: false)
        timeline.preemptions = [ms(8)]
        timeline.finished = ms(10)
        timeline.finishReason = "stop"
        timeline.peakKVBlocks = 2
    }
    trace.recordHead(status: status)
    trace.recordBody(bytes: 100)
    return trace.finishRecord(at: ms(11))
}

@Suite struct TraceStoreTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-store-\(UUID().uuidString)").path
    }

    @Test func spansNestAndCountTheTokens() throws {
        let record = makeRecord(requestID: "req-a")
        let root = try #require(record.spans.first)
        #expect(root.parentSpanID == nil)
        let names = record.spans.map(\.name)
        #expect(names.contains("routing") == false, "no routing was recorded by hand")
        #expect(names.filter { $0 == "prefill" }.count == 2)
        for name in ["queue", "decode", "stream"] { #expect(names.contains(name), "\(name) in \(names)") }
        for span in record.spans.dropFirst() {
            #expect(span.parentSpanID == root.spanID)
            #expect(span.startUnixNano >= root.startUnixNano && span.endUnixNano <= root.endUnixNano, "\(span.name)")
        }
        let decode = try #require(record.spans.first { $0.name == "decode" })
        #expect(decode.attributes["decode.steps"] == .int(3))
        #expect(decode.attributes["decode.batch_sizes"] == .string("2:2,3:1"))
        #expect(decode.events.map(\.name) == ["preempted"])
        #expect(record.summary.completionTokens == 3, "one from prefill, two from decode")
        #expect(record.summary.promptTokens == 20)
        let firstToken = try #require(root.events.first { $0.name == "first_token" })
        let ttft = try #require(root.attributes["ttft_ms"]?.doubleValue)
        #expect(abs(ttft - Double(firstToken.timeUnixNano - root.startUnixNano) / 1e6) < 0.001)
    }

    @Test func aTraceSurvivesReopeningTheStore() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let record = makeRecord(requestID: "req-restart")
        do {
            let store = try TraceStore(directory: directory)
            store.enqueue(record)
            store.recordLifecycle(LifecycleEvent(kind: "loaded", model: "smollm2", version: "1"))
            try store.close()
        }
        let reopened = try TraceStore(directory: directory)
        defer { try? reopened.close() }
        let byRequest = try #require(try reopened.trace(id: "req-restart"))
        #expect(byRequest.spans.count == record.spans.count)
        #expect(Set(byRequest.spans.map(\.spanID)) == Set(record.spans.map(\.spanID)))
        let byTrace = try #require(try reopened.trace(id: record.summary.traceID))
        #expect(byTrace.summary.requestID == "req-restart")
        let audit = try reopened.audit()
        #expect(audit.contains { $0.kind == "request" && $0.requestID == "req-restart" && $0.replica == "smollm2@1" })
        #expect(audit.contains { $0.kind == "loaded" && $0.model == "smollm2" })
        #expect(try reopened.trace(id: "unknown") == nil)
    }

    @Test func searchFilters() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TraceStore(directory: directory)
        defer { try? store.close() }
        store.enqueue(makeRecord(requestID: "a", model: "m1", status: 200))
        store.enqueue(makeRecord(requestID: "b", model: "m2", status: 429))
        store.enqueue(makeRecord(requestID: "c", model: "m1", status: 500))
        var query = TraceQuery()
        query.model = "m1"
        #expect(Set(try store.search(query).map(\.requestID)) == ["a", "c"])
        query = TraceQuery()
        query.status = .error
        #expect(Set(try store.search(query).map(\.requestID)) == ["b", "c"])
        query.status = .code(429)
        #expect(try store.search(query).map(\.requestID) == ["b"])
        query = TraceQuery()
        query.minDurationMilliseconds = 1_000
        #expect(try store.search(query).isEmpty)
        query = TraceQuery()
        query.limit = 2
        #expect(try store.search(query).count == 2)
        query = TraceQuery()
        query.sinceUnixNano = RequestTrace.wallClockNanoseconds() + 60_000_000_000
        #expect(try store.search(query).isEmpty)
    }

    @Test func retentionKeepsTheStoreUnderItsSize() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = TraceStore.Configuration()
        configuration.maxBytes = 256 << 10
        let store = try TraceStore(directory: directory, configuration: configuration)
        defer { try? store.close() }
        for index in 0..<400 { store.enqueue(makeRecord(requestID: "r\(index)")) }
        try store.flush()
        try store.enforceRetention()
        var query = TraceQuery()
        query.limit = 1000
        let kept = try store.search(query)
        #expect(kept.count < 400 && !kept.isEmpty)
        #expect(kept.contains { $0.requestID == "r399" }, "the newest stay")
        let live = try store.liveBytes()
        #expect(live <= configuration.maxBytes)
    }
}
