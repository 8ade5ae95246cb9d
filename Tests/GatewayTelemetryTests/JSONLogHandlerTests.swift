import Foundation
import GatewayCore
import Logging
import Testing

@testable import GatewayTelemetry

@Suite struct JSONLogHandlerTests {
    @Test func writesOneObjectPerLineWithTheRequestsIDs() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try JSONLogSink.file(path)
        let logger = Logger(label: "test") { JSONLogHandler(label: $0, sink: sink) }
        let trace = RequestTrace(requestID: RequestID("req-log"), context: .random(), method: "GET", path: "/x")
        RequestTrace.$current.withValue(trace) {
            logger.info("hello \"world\"\n", metadata: ["status": "200"])
        }
        logger.warning("outside")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["message"] as? String == "hello \"world\"\n")
        #expect(first["level"] as? String == "info")
        #expect(first["request_id"] as? String == "req-log")
        #expect(first["trace_id"] as? String == trace.context.traceID)
        #expect(first["status"] as? String == "200")
        let timestamp = try #require(first["timestamp"] as? String)
        #expect(ISO8601DateFormatter.withFractionalSeconds.date(from: timestamp) != nil, "\(timestamp)")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["request_id"] == nil)
        #expect(second["level"] as? String == "warning")
    }
}

extension ISO8601DateFormatter {
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
