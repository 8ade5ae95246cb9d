import Foundation
import TestSupport
import Testing

/// `/metrics` checked by Prometheus's own linter, and `/ui` rendered by a real browser.
@Suite(.serialized) struct ObservabilityPagesTests {
    static func traffic(port: Int) async throws {
        for (index, model) in ["echo", "echo-slow", "nope"].enumerated() {
            _ = try await GatewayFixture.curl([
                "http://127.0.0.1:\(port)/v1/chat/completions", "-H", "content-type: application/json",
                "-H", "x-request-id: page-\(index)",
                "-d", #"{"model":"\#(model)","messages":[{"role":"user","content":"one two three"}],"stream":true}"#,
            ])
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
    func promtoolAcceptsALiveScrape() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, _ in
            try await Self.traffic(port: port)
            let scrape = try await GatewayFixture.curl(["http://127.0.0.1:\(port)/metrics"])
            #expect(GatewayFixture.header("content-type", in: scrape.stdout)?.hasPrefix("text/plain; version=0.0.4") == true)
            for name in [
                "switchyard_requests_total{", "switchyard_time_to_first_token_seconds_bucket{",
                "switchyard_request_duration_seconds_count{", "switchyard_queue_time_seconds_bucket{",
                "switchyard_inter_token_latency_seconds_bucket{", "switchyard_generated_tokens_total{",
            ] {
                #expect(scrape.stdout.contains(name), "\(name) missing")
            }
            #expect(scrape.stdout.contains(#"switchyard_requests_total{model="echo-slow",version="1",status="200"} 1"#))
            #expect(scrape.stdout.contains(#"status="404""#))
            // Three streamed words: the histogram observes both gaps, not one per-request mean.
            #expect(scrape.stdout.contains(#"switchyard_inter_token_latency_seconds_count{model="echo-slow"} 2"#), "\(scrape.stdout)")
            let checked = try await ProcessRunner.run(
                "/bin/bash", ["-c", "curl -sS http://127.0.0.1:\(port)/metrics | /usr/bin/promtool check metrics"],
                timeoutSeconds: 60)
            #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")))
    func operatorPageDrawsAWaterfallInChromium() async throws {
        let directory = GatewayFixture.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayFixture.withTelemetryServer(dataDirectory: directory) { port, _ in
            try await Self.traffic(port: port)
            let url = "http://127.0.0.1:\(port)/ui?request=page-1"
            let profile = directory + "/chromium-profile"
            let common = [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile)",
                "--virtual-time-budget=5000", "--window-size=1200,900",
            ]
            let dom = try await ProcessRunner.run("/usr/bin/chromium", common + ["--dump-dom", url], timeoutSeconds: 90)
            #expect(dom.status == 0, "\(dom.stderr)")
            #expect(dom.stdout.contains("echo-slow"), "recent requests list the model")
            let spans = try #require(
                dom.stdout.firstMatch(of: /id="waterfall" data-spans="(\d+)"/).flatMap { Int($0.1) }, "\(dom.stdout)")
            #expect(spans >= 5, "root, routing, queue, prefill, decode, stream")
            #expect(dom.stdout.components(separatedBy: "class=\"bar decode\"").count == 2)

            let screenshot = directory + "/ui.png"
            let shot = try await ProcessRunner.run(
                "/usr/bin/chromium", common + ["--screenshot=\(screenshot)", url], timeoutSeconds: 90)
            #expect(shot.status == 0, "\(shot.stderr)")
            let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
            #expect(png.count > 10_000)
        }
    }
}

/// The files under Deploy/ name only metrics the gateway exposes, and Prometheus accepts its config.
@Suite struct DeployFilesTests {
    @Test func dashboardQueriesNameExposedFamilies() throws {
        let path = ProcessRunner.packageRoot.appendingPathComponent("Deploy/grafana/switchyard-dashboard.json").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let names = Set(text.matches(of: /switchyard_[a-z_]+/).map { String($0.output) })
        #expect(names.count >= 10)
        let known = [
            "switchyard_requests_total", "switchyard_generated_tokens_total", "switchyard_time_to_first_token_seconds_bucket",
            "switchyard_inter_token_latency_seconds_bucket", "switchyard_request_duration_seconds_bucket",
            "switchyard_queue_time_seconds_bucket", "switchyard_running_sequences", "switchyard_waiting_sequences",
            "switchyard_batch_size", "switchyard_tokens_per_step", "switchyard_kv_cache_usage_ratio",
            "switchyard_prefix_cache_hit_rate", "switchyard_device_hbm_used_bytes", "switchyard_device_hbm_capacity_bytes",
            "switchyard_rejected_requests_total", "switchyard_cancelled_requests_total",
        ]
        for name in names { #expect(known.contains(name), "\(name) is not a metric the gateway exposes") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
    func prometheusAcceptsTheScrapeConfig() async throws {
        let path = ProcessRunner.packageRoot.appendingPathComponent("Deploy/prometheus/prometheus.yml").path
        let checked = try await ProcessRunner.run("/usr/bin/promtool", ["check", "config", path], timeoutSeconds: 60)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }
}
