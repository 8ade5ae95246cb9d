import Foundation
import GatewayTelemetry
import TestSupport
import Testing

/// Traces through the whole gateway: a real server, curl as the client, the trace read back
/// over `GET /v1/traces`.
@Suite(.serialized) struct TraceEndToEndTests {
    static let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    static func streamedChat(port: Int, requestID: String) async throws -> ProcessResult {
        try await GatewayFixture.curl([
            "--http2-prior-knowledge", "-N", "http://127.0.0.1:\(port)/v1/chat/completions",
            "-H", "content-type: application/json", "-H", "x-request-id: \(requestID)", "-H", "traceparent: \(Self.parent)",
            "-H", "tracestate: vendor=abc",
            "-d", #"{"model":"echo-slow","messages":[{"role":"user","content":"one two three four five six"}],"stream":true,"stream_options":{"include_usage":true}}"#,
        ])
    }

    /// A request's trace read back over `GET /v1/traces/{request_id}`, with its spans and its
    /// root (named `root`), after checking that every span a generation leaves is there and
    /// nests inside the root.
    static func trace(
        of requestID: String, port: Int, root rootName: String
    ) async throws -> (trace: [String: Any], spans: [[String: Any]], root: [String: Any]) {
        let answer = try await GatewayFixture.curl(["http://127.0.0.1:\(port)/v1/traces/\(requestID)"])
        let trace = try GatewayFixture.jsonBody(answer.stdout)
        let spans = try #require(trace["spans"] as? [[String: Any]])
        let names = spans.compactMap { $0["name"] as? String }
        for name in [rootName, "routing", "queue", "prefill", "decode", "stream"] {
            #expect(names.contains(name), "\(name) missing from \(names)")
        }
        let root = try #require(spans.first { $0["name"] as? String == rootName })
        // Every other span is the root's child and lies inside it.
        let rootID = try #require(root["span_id"] as? String)
        let rootStart = try #require(root["start_time_unix_nano"] as? UInt64)
        let rootEnd = try #require(root["end_time_unix_nano"] as? UInt64)
        for span in spans where span["span_id"] as? String != rootID {
            #expect(span["parent_span_id"] as? String == rootID)
            let start = try #require(span["start_time_unix_nano"] as? UInt64)
            let end = try #require(span["end_time_unix_nano"] as? UInt64)
            #expect(rootStart <= start && start <= end && end <= rootEnd, "\(span["name"] ?? "")")
        }
        return (trace, spans, root)
    }

    @Test func aStreamedRequestsTraceHasEverySpanWithConsistentTimes() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, _ in
            let streamed = try await Self.streamedChat(port: port, requestID: "trace-e2e")
            #expect(streamed.status == 0, "\(streamed.stderr)")
            let traceparent = try #require(GatewayFixture.header("traceparent", in: streamed.stdout), "\(streamed.stdout)")
            #expect(traceparent.hasPrefix("00-0af7651916cd43dd8448eb211c80319c-"))
            #expect(!traceparent.contains("b7ad6b7169203331"), "the gateway answers with its own span")
            #expect(GatewayFixture.header("tracestate", in: streamed.stdout) == "vendor=abc")
            let usageLine = try #require(streamed.stdout.components(separatedBy: "\n").last { $0.contains("\"usage\"") })
            let usageJSON = try #require(
                try JSONSerialization.jsonObject(with: Data(usageLine.dropFirst("data: ".count).utf8)) as? [String: Any])
            let completionTokens = try #require((usageJSON["usage"] as? [String: Any])?["completion_tokens"] as? Int)
            #expect(completionTokens == 6)

            let (trace, spans, root) = try await Self.trace(of: "trace-e2e", port: port, root: "POST /v1/chat/completions")
            #expect(root["trace_id"] as? String == "0af7651916cd43dd8448eb211c80319c")
            #expect(root["parent_span_id"] as? String == "b7ad6b7169203331")
            let rootStart = try #require(root["start_time_unix_nano"] as? UInt64)
            let attributes = try #require(root["attributes"] as? [String: Any])
            #expect(attributes["http.response.status_code"] as? Int == 200)
            #expect(attributes["model"] as? String == "echo-slow")
            #expect(attributes["replica"] as? String == "echo-slow@1")
            #expect(attributes["completion_tokens"] as? Int == completionTokens)
            let events = try #require(root["events"] as? [[String: Any]])
            let firstToken = try #require(events.first { $0["name"] as? String == "first_token" })
            let firstTokenAt = try #require(firstToken["time_unix_nano"] as? UInt64)
            let ttft = try #require(attributes["ttft_ms"] as? Double)
            #expect(abs(ttft - Double(firstTokenAt - rootStart) / 1e6) < 0.001)

            // Per-iteration counts add up to the completion tokens.
            let prefillTokens = spans.filter { $0["name"] as? String == "prefill" }
                .filter { (($0["attributes"] as? [String: Any])?["produced_token"] as? Bool) == true }.count
            let decode = try #require(spans.first { $0["name"] as? String == "decode" })
            let decodeAttributes = try #require(decode["attributes"] as? [String: Any])
            let decodeTokens = try #require(decodeAttributes["decode.tokens"] as? Int)
            #expect(prefillTokens + decodeTokens == completionTokens)
            #expect(decodeAttributes["decode.steps"] as? Int == decodeTokens)

            let request = try #require(trace["request"] as? [String: Any])
            #expect(request["trace_id"] as? String == "0af7651916cd43dd8448eb211c80319c")
            let byTrace = try await GatewayFixture.curl(["http://127.0.0.1:\(port)/v1/traces/0af7651916cd43dd8448eb211c80319c"])
            #expect(((try GatewayFixture.jsonBody(byTrace.stdout))["request"] as? [String: Any])?["request_id"] as? String == "trace-e2e")
        }
    }

    /// Echo answers a whole completion on the transport's fast path (no task, no writer);
    /// with telemetry on it leaves the same trace, metrics and headers as any other request.
    @Test func aWholeEchoCompletionOnTheFastPathIsTraced() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, telemetry in
            let answer = try await GatewayFixture.curl([
                "--http2-prior-knowledge", "http://127.0.0.1:\(port)/v1/completions?x=1",
                "-H", "content-type: application/json", "-H", "x-request-id: fast-traced", "-H", "traceparent: \(Self.parent)",
                "-H", "tracestate: vendor=abc", "-d", #"{"model":"echo","prompt":"one two three","max_tokens":2}"#,
            ])
            #expect(answer.stdout.hasPrefix("HTTP/2 200"), "\(answer.stdout)")
            let traceparent = try #require(GatewayFixture.header("traceparent", in: answer.stdout), "\(answer.stdout)")
            #expect(traceparent.hasPrefix("00-0af7651916cd43dd8448eb211c80319c-"))
            #expect(GatewayFixture.header("tracestate", in: answer.stdout) == "vendor=abc")
            #expect(GatewayFixture.header("x-request-id", in: answer.stdout) == "fast-traced")
            #expect(try GatewayFixture.jsonBody(answer.stdout)["object"] as? String == "text_completion")

            let (_, _, root) = try await Self.trace(of: "fast-traced", port: port, root: "POST /v1/completions")
            #expect(root["parent_span_id"] as? String == "b7ad6b7169203331")
            let attributes = try #require(root["attributes"] as? [String: Any])
            #expect(attributes["http.response.status_code"] as? Int == 200)
            #expect(attributes["model"] as? String == "echo")
            #expect(attributes["prompt_tokens"] as? Int == 3)
            #expect(attributes["completion_tokens"] as? Int == 2)
            #expect(attributes["finish_reason"] as? String == "length")
            let exposition = String(decoding: telemetry.metrics.exposition(), as: UTF8.self)
            #expect(exposition.contains(#"switchyard_requests_total{model="echo",version="1",status="200"} 1"#), "\(exposition)")
        }
    }

    @Test func aTraceWrittenBeforeARestartIsReturnedAfterIt() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, _ in
            let streamed = try await Self.streamedChat(port: port, requestID: "before-restart")
            #expect(streamed.status == 0, "\(streamed.stderr)")
        }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, _ in
            let answer = try await GatewayFixture.curl(["http://127.0.0.1:\(port)/v1/traces/before-restart"])
            #expect(GatewayFixture.header("traceparent", in: answer.stdout) != nil)
            let trace = try GatewayFixture.jsonBody(answer.stdout)
            let spans = try #require(trace["spans"] as? [[String: Any]], "\(answer.stdout)")
            #expect(spans.contains { $0["name"] as? String == "decode" })
        }
    }

    @Test func searchFiltersAndRefusesBadParameters() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, _ in
            let base = "http://127.0.0.1:\(port)"
            _ = try await Self.streamedChat(port: port, requestID: "search-1")
            let unknown = try await GatewayFixture.curl([
                "\(base)/v1/chat/completions", "-H", "content-type: application/json",
                "-d", #"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#,
            ])
            #expect(unknown.stdout.hasPrefix("HTTP/1.1 404"))
            let found = try GatewayFixture.jsonBody(
                try await GatewayFixture.curl(["\(base)/v1/traces?model=echo-slow&status=200&limit=5&since=0"]).stdout)
            let data = try #require(found["data"] as? [[String: Any]])
            #expect(data.map { $0["request_id"] as? String } == ["search-1"])
            let errors = try GatewayFixture.jsonBody(try await GatewayFixture.curl(["\(base)/v1/traces?status=error"]).stdout)
            #expect((errors["data"] as? [[String: Any]])?.first?["status"] as? Int == 404)
            let slow = try GatewayFixture.jsonBody(try await GatewayFixture.curl(["\(base)/v1/traces?min_duration_ms=100000"]).stdout)
            #expect((slow["data"] as? [[String: Any]])?.isEmpty == true)
            for bad in ["limit=0", "status=abc", "min_duration_ms=-1", "since=yesterday", "model=%zz"] {
                let answer = try await GatewayFixture.curl(["\(base)/v1/traces?\(bad)"])
                #expect(answer.stdout.hasPrefix("HTTP/1.1 400"), "\(bad): \(answer.stdout)")
            }
            let missing = try await GatewayFixture.curl(["\(base)/v1/traces/no-such-request"])
            #expect(missing.stdout.hasPrefix("HTTP/1.1 404"))
        }
    }
}
