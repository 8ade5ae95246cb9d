import Foundation
import LoadGeneration
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The generator's latency percentiles against h2load's on the same server and request.
/// Non-streaming, so both measure the same thing: request sent to response complete. The
/// echo engine paces its pieces (2 ms), so a request takes milliseconds and the comparison
/// is not drowned by scheduling noise. The two tools run at the same time, one request at a
/// time each, so a burst of load on this shared machine hits both alike; a burst can still
/// skew one attempt, so up to four attempts are made and each is printed.
@Suite("Latency agrees with h2load")
struct H2LoadAgreementTests {
    static let requests = 500
    static let attempts = 4

    @Test("p50 and p90 of end-to-end time within 10% of h2load's")
    func percentilesAgree() async throws {
        let h2load = try #require(ProcessRunner.which("h2load"), "h2load (Debian nghttp2-client) is required")
        try await EchoServer.with(pace: .milliseconds(2)) { port in
            let request = LoadRequest(model: "echo-paced", prompt: "one two three four five six", maxTokens: 4, stream: false)
            let bodyFile = ProcessRunner.temporaryFile("body.json")
            try Data(request.jsonBody()).write(to: bodyFile)
            defer { try? FileManager.default.removeItem(at: bodyFile) }
            // Its own event loop, apart from the server's, as h2load is a process apart.
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let client = LoadClient(configuration: LoadClientConfiguration(port: port, eventLoopGroup: group))

            var agreed = false
            var comparisons: [String] = []
            for attempt in 0..<Self.attempts where !agreed {
                let log = ProcessRunner.temporaryFile("h2load-\(attempt).log")
                defer { try? FileManager.default.removeItem(at: log) }
                async let theirRun = ProcessRunner.run(h2load, [
                    "-n", String(Self.requests), "-c", "1", "-m", "1", "-d", bodyFile.path,
                    "-H", "content-type: application/json", "--log-file", log.path,
                    "http://127.0.0.1:\(port)/v1/completions",
                ])
                let runner = LoadRunner(
                    client: client, schedule: .closedLoop(concurrency: 1),
                    limits: LoadLimits(maxRequests: Self.requests, duration: .seconds(120)))
                let records = await runner.run { index in
                    var copy = request
                    copy.index = index
                    return copy
                }
                let result = try await theirRun
                try #require(result.status == 0, "h2load failed: \(result.stderr)")
                let theirs = try Self.h2loadDurations(log)
                #expect(records.count == Self.requests && records.filter { !$0.succeeded }.isEmpty)
                #expect(theirs.count == Self.requests)

                let mine = LatencySummary(records.map(\.endToEnd))
                let reference = LatencySummary(theirs)
                let comparison = String(
                    format: "attempt %d: ours p50 %.3f p90 %.3f p99 %.3f ms; h2load p50 %.3f p90 %.3f p99 %.3f ms",
                    attempt + 1, mine.p50 * 1000, mine.p90 * 1000, mine.p99 * 1000,
                    reference.p50 * 1000, reference.p90 * 1000, reference.p99 * 1000)
                print(comparison)
                comparisons.append(comparison)
                agreed = abs(mine.p50 / reference.p50 - 1) <= 0.10 && abs(mine.p90 / reference.p90 - 1) <= 0.10
            }
            await client.close()
            try await group.shutdownGracefully()
            #expect(agreed, "\(comparisons.joined(separator: "\n"))")
        }
    }

    /// h2load's `--log-file`: start (µs since the epoch), status, duration (µs), tab-separated.
    static func h2loadDurations(_ log: URL) throws -> [Double] {
        let text = try String(contentsOf: log, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t")
            guard columns.count >= 3, columns[1] == "200", let micros = Double(columns[2]) else { return nil }
            return micros / 1e6
        }
    }
}
