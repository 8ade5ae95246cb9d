import Foundation
import GatewayCore
import Logging
import Testing

@testable import GatewayTelemetry

/// The access line written straight from the summary must be the line swift-log writes
/// through `JSONLogHandler` for the same figures.
@Suite struct AccessLineTests {
    static func lines(at path: String) throws -> [[String: String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object.compactMapValues { $0 as? String }
        }
    }

    @Test func theDirectLineIsTheLoggedLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let directPath = directory.appendingPathComponent("direct.log").path
        let loggedPath = directory.appendingPathComponent("logged.log").path
        let directSink = try JSONLogSink.file(directPath)
        let direct = try #require(
            AccessLine(logger: Logger(label: "switchyard.access") { JSONLogHandler(label: $0, sink: directSink) }))
        let loggedSink = try JSONLogSink.file(loggedPath)
        let logger = Logger(label: "switchyard.access") { JSONLogHandler(label: $0, sink: loggedSink) }
        var summaries = [makeRecord(requestID: "req-access").summary, TraceFiguresTests.makeTwoChoiceRecord().summary]
        var bare = summaries[0]
        bare.model = nil
        bare.version = nil
        bare.replica = nil
        bare.timeToFirstTokenMilliseconds = nil
        bare.queueMilliseconds = nil
        bare.finishReason = nil
        bare.promptTokens = 0
        bare.completionTokens = 0
        bare.cancelled = true
        bare.status = 0
        summaries.append(bare)
        for summary in summaries {
            direct.write(summary)
            logger.info("access", metadata: Telemetry.accessMetadata(summary))
        }
        direct.sink.flush()
        let directLines = try Self.lines(at: directPath)
        let loggedLines = try Self.lines(at: loggedPath)
        #expect(directLines.count == 3)
        for (left, right) in zip(directLines, loggedLines) {
            #expect(left.filter { $0.key != "timestamp" } == right.filter { $0.key != "timestamp" })
            #expect(left["timestamp"] != nil)
        }
        #expect(directLines[2]["cancelled"] == "true" && directLines[2]["model"] == nil)
        #expect(directLines[0]["prompt_tokens"] == "20" && directLines[0]["status"] == "200")
        // Byte for byte after the timestamp (`{"timestamp":"…Z",` is 40 bytes): the same keys in the same order.
        let text = { (path: String) in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.dropFirst(40) } }
        #expect(try text(directPath) == text(loggedPath))
    }

    @Test func bufferedLinesGoOutWithinAFlushIntervalAndBeforeOtherLines() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-access-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try JSONLogSink.file(path)
        sink.writeBuffered(Array("{\"n\":\"1\"}\n".utf8))
        sink.write(Array("{\"n\":\"2\"}\n".utf8))
        #expect(try Self.lines(at: path).map { $0["n"] } == ["1", "2"], "a logged line follows the buffered ones")
        sink.writeBuffered(Array("{\"n\":\"3\"}\n".utf8))
        let deadline = ContinuousClock.now + .seconds(5)
        while try Self.lines(at: path).count < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try Self.lines(at: path).map { $0["n"] } == ["1", "2", "3"], "the flusher wrote the buffered line")
    }
}
