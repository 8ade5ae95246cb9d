import Foundation
import LoadGeneration
import TestSupport
import Testing

/// The HTML report from a real run opens in headless Chromium: the DOM it builds holds the
/// tables and the six charts with their plotted lines, and a screenshot is drawn.
@Suite("HTML report renders in Chromium")
struct HTMLReportTests {
    @Test("tables and SVG charts survive Chromium's parser; a screenshot is drawn")
    func rendersInChromium() async throws {
        let chromium = try #require(
            ProcessRunner.which("chromium") ?? ProcessRunner.which("chromium-browser"),
            "Chromium (Debian package chromium) is required")
        let report = try await EchoServer.with { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port))
            let runner = LoadRunner(
                client: client, schedule: .poisson(rate: 200),
                limits: LoadLimits(maxRequests: 60, duration: .seconds(30)))
            let records = await runner.run { LoadRequest(index: $0, model: "echo-paced", prompt: "a b c d e f g h", maxTokens: 6) }
            await client.close()
            let summary = LoadSummary(records: records, slo: ServiceLevelObjective(ttft: 0.5, tpot: 0.05))
            return LoadReport(settings: ["scenario": "test <&> \"quoted\""], startedAt: Date(), summary: summary, records: records)
        }
        #expect(report.summary.succeeded == 60)
        let page = ProcessRunner.temporaryFile("report.html")
        let screenshot = ProcessRunner.temporaryFile("report.png")
        defer {
            try? FileManager.default.removeItem(at: page)
            try? FileManager.default.removeItem(at: screenshot)
        }
        let html = report.html()
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        try Data(html.utf8).write(to: page)

        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(page.path).profile"]
        defer { try? FileManager.default.removeItem(atPath: "\(page.path).profile") }
        let dom = try await ProcessRunner.run(chromium, flags + ["--dump-dom", page.absoluteString], timeoutSeconds: 90)
        try #require(dom.status == 0, "chromium --dump-dom failed: \(dom.stderr.suffix(500))")
        #expect(dom.stdout.components(separatedBy: "<svg").count - 1 == 6)
        #expect(dom.stdout.components(separatedBy: "<polyline").count - 1 >= 7)
        for id in ["summary", "latency", "errors", "slowest", "cdfs", "throughput"] {
            #expect(dom.stdout.contains("id=\"\(id)\""), "missing #\(id)")
        }
        #expect(dom.stdout.contains("test &lt;&amp;&gt; \"quoted\""))

        let shot = try await ProcessRunner.run(
            chromium, flags + ["--window-size=1200,1600", "--screenshot=\(screenshot.path)", page.absoluteString], timeoutSeconds: 90)
        try #require(shot.status == 0, "chromium --screenshot failed: \(shot.stderr.suffix(500))")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000, "a blank page compresses to a few KB; the report draws tables and charts")
    }
}
