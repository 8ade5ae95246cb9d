import Foundation
import Logging
import OTLPExport
import TestSupport
import Testing

/// OTLP export through swift-otel to a real OTLP/HTTP receiver (Tests/python/otlp_receiver.py,
/// which decodes with the official `opentelemetry-proto` classes): the receiver must get the
/// request's spans under the right trace, with the names, tree, times, attributes and events
/// the trace store keeps.
@Suite(.serialized) struct OTLPExportTests {
    @Test func theReceiverGetsAStreamedRequestsSpansUnderTheCallersTrace() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let exported = try await OTLPReceiver.collect { receiverPort in
            let exporter = try OTLPSpanExporter(
                endpoint: "http://127.0.0.1:\(receiverPort)/v1/traces", logger: Logger(label: "test.otlp"))
            return try await exporter.withRunning {
                try await GatewayFixture.withTelemetryServer(dataDirectory: directory, exporters: [exporter]) { port, _ in
                    let streamed = try await TraceEndToEndTests.streamedChat(port: port, requestID: "otlp-e2e")
                    #expect(streamed.status == 0, "\(streamed.stderr)")
                    return try await GatewayFixture.curl(["http://127.0.0.1:\(port)/v1/traces/otlp-e2e"]).stdout
                }
            }
        }
        let stored = try #require(try GatewayFixture.jsonBody(exported.result)["spans"] as? [[String: Any]])
        let spans = exported.spans.filter { $0["trace_id"] as? String == "0af7651916cd43dd8448eb211c80319c" }
        #expect(spans.count == stored.count, "\(exported.spans)")
        #expect(Set(spans.compactMap { $0["name"] as? String }) == Set(stored.compactMap { $0["name"] as? String }))

        let root = try #require(spans.first { $0["name"] as? String == "POST /v1/chat/completions" })
        #expect(root["parent_span_id"] as? String == "b7ad6b7169203331", "under the caller's span")
        #expect(root["kind"] as? Int == 2, "SPAN_KIND_SERVER")
        #expect(root["service"] as? String == "switchyard")
        let rootID = try #require(root["span_id"] as? String)
        for span in spans where span["span_id"] as? String != rootID {
            #expect(span["parent_span_id"] as? String == rootID, "\(span["name"] ?? "")")
        }
        // Each exported span is its stored span: same name, times, attributes and events.
        for span in spans {
            let attributes = try #require(span["attributes"] as? [String: Any])
            let storeID = try #require(attributes["switchyard.span_id"] as? String)
            let original = try #require(stored.first { $0["span_id"] as? String == storeID })
            #expect(span["name"] as? String == original["name"] as? String)
            #expect(span["start_time_unix_nano"] as? UInt64 == original["start_time_unix_nano"] as? UInt64)
            #expect(span["end_time_unix_nano"] as? UInt64 == original["end_time_unix_nano"] as? UInt64)
            let originalAttributes = try #require(original["attributes"] as? [String: Any])
            #expect(Set(attributes.keys) == Set(originalAttributes.keys).union(["switchyard.span_id"]))
            for (key, value) in originalAttributes {
                // Numbers compare as numbers (the store may write 0 where OTLP carries 0.0).
                if let exported = attributes[key] as? NSNumber, let stored = value as? NSNumber {
                    #expect(exported.doubleValue == stored.doubleValue, "\(key) of \(original["name"] ?? "")")
                } else {
                    #expect("\(attributes[key] ?? "missing")" == "\(value)", "\(key) of \(original["name"] ?? "")")
                }
            }
            let events = try #require(span["events"] as? [[String: Any]])
            let originalEvents = try #require(original["events"] as? [[String: Any]])
            #expect(events.map { "\($0["name"] ?? "")@\($0["time_unix_nano"] ?? "")" }
                == originalEvents.map { "\($0["name"] ?? "")@\($0["time_unix_nano"] ?? "")" })
        }
        #expect((root["events"] as? [[String: Any]])?.contains { $0["name"] as? String == "first_token" } == true)
    }

    @Test(arguments: ["flag", "environment"])
    func serveExportsToTheConfiguredEndpoint(_ setting: String) async throws {
        // The receiver and the gateway both run here; the gateway flushes its spans when
        // SIGTERM shuts it down, then the receiver is told to quit and prints what it got.
        let script = """
            set -e
            "$2" "$3" "$1/port" 60 > "$1/spans" 2> "$1/receiver-err" &
            receiver=$!
            for i in $(seq 100); do [ -s "$1/port" ] && break; sleep 0.1; done
            receiverPort=$(cat "$1/port")
            if [ "$4" = flag ]; then
              "$0" serve --port 0 --admin-port 0 --data-dir "$1/data" --otlp-endpoint "http://127.0.0.1:$receiverPort/v1/traces" > "$1/out" 2> "$1/err" &
            else
              OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$receiverPort" "$0" serve --port 0 --admin-port 0 --data-dir "$1/data" > "$1/out" 2> "$1/err" &
            fi
            pid=$!
            for i in $(seq 100); do grep -q listening "$1/out" && break; sleep 0.1; done
            line=$(head -n1 "$1/out")
            port=${line##*:}
            curl -sS --max-time 10 -D - -o /dev/null "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' -d '{"model":"echo","prompt":"to the collector"}' | tr -d '\\r' | grep -i '^traceparent:'
            kill -TERM $pid
            wait $pid
            curl -sS --max-time 10 -X POST "http://127.0.0.1:$receiverPort/quit" > /dev/null
            wait $receiver
            cat "$1/spans"
            """
        let directory = ProcessRunner.temporaryFile("otlp-serve")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await ProcessRunner.run(
            "/bin/bash",
            ["-c", script, ServeCommandTests.binary, directory.path, ProcessRunner.python,
             ProcessRunner.script("otlp_receiver.py"), setting],
            timeoutSeconds: 90)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let header = try #require(lines.first { $0.lowercased().hasPrefix("traceparent:") }, "\(result.stdout)")
        let fields = header.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces).split(separator: "-")
        try #require(fields.count == 4, "\(header)")
        let spans = try lines.filter { $0.hasPrefix("{") }.compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let root = try #require(spans.first { $0["name"] as? String == "POST /v1/completions" }, "\(result.stdout)")
        #expect(root["trace_id"] as? String == String(fields[1]), "the trace id the client got back")
        let attributes = try #require(root["attributes"] as? [String: Any])
        #expect(attributes["switchyard.span_id"] as? String == String(fields[2]))
        #expect(attributes["model"] as? String == "echo")
        #expect(spans.contains { $0["name"] as? String == "stream" && $0["parent_span_id"] as? String == root["span_id"] as? String })
    }
}

/// Runs `Tests/python/otlp_receiver.py` for the length of `body` and returns the spans it
/// received, one decoded JSON object each.
enum OTLPReceiver {
    static func collect<Result: Sendable>(
        _ body: @Sendable (_ port: Int) async throws -> Result
    ) async throws -> (result: Result, spans: [[String: Any]]) {
        let portFile = ProcessRunner.temporaryFile("otlp-port")
        defer { try? FileManager.default.removeItem(at: portFile) }
        async let receiver = ProcessRunner.run(
            ProcessRunner.python, [ProcessRunner.script("otlp_receiver.py"), portFile.path, "60"], timeoutSeconds: 90)
        var port: Int?
        for _ in 0..<100 where port == nil {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let result: Result
        do {
            result = try await body(try #require(port, "the receiver did not start"))
        } catch {
            if let port { _ = try? await GatewayFixture.curl(["-X", "POST", "http://127.0.0.1:\(port)/quit"]) }
            _ = try? await receiver
            throw error
        }
        _ = try await GatewayFixture.curl(["-X", "POST", "http://127.0.0.1:\(try #require(port))/quit"])
        let output = try await receiver
        #expect(output.status == 0, "\(output.stderr)")
        let spans = try output.stdout.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return (result, spans)
    }
}
