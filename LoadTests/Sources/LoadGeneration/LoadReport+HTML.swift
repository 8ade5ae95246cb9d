import Foundation

extension LoadReport {
    /// A self-contained page: summary, latency CDFs and throughput over time as inline SVG,
    /// errors and the slowest requests with their trace ids. No script, no external asset.
    public func html() -> String {
        let s = self.summary
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Switchyard load report</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:24px;color:#222}
            table{border-collapse:collapse;margin:8px 0 20px}
            td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}
            th{background:#f3f3f3}td.l,th.l{text-align:left}
            .charts{display:flex;flex-wrap:wrap;gap:12px}
            .charts svg{border:1px solid #ddd}
            </style></head><body>
            <h1>Switchyard load report</h1>

            """
        page += "<p id=\"started\">Started \(HTMLText.escape(ISO8601DateFormatter().string(from: self.startedAt)))</p>\n"
        page += "<table id=\"settings\"><tr><th class=\"l\">setting</th><th class=\"l\">value</th></tr>"
        for (key, value) in self.settings.sorted(by: { $0.key < $1.key }) {
            page += "<tr><td class=\"l\">\(HTMLText.escape(key))</td><td class=\"l\">\(HTMLText.escape(value))</td></tr>"
        }
        page += "</table>\n<h2>Summary</h2>\n<table id=\"summary\">"
        var rows: [(String, String)] = [
            ("requests", "\(s.requests)"), ("succeeded", "\(s.succeeded)"), ("failed", "\(s.failed)"),
            ("duration (s)", String(format: "%.2f", s.duration)),
            ("request throughput (req/s)", String(format: "%.2f", s.requestThroughput)),
            ("output token throughput (tok/s)", String(format: "%.1f", s.outputTokenThroughput)),
        ]
        if let goodput = s.goodput, let slo = s.slo {
            rows.append(("goodput (req/s, \(Self.describe(slo)))", String(format: "%.2f", goodput)))
        }
        if s.compared > 0 {
            rows.append(("responses differing from --expect", "\(s.mismatches) of \(s.compared)"))
        }
        for (name, value) in rows {
            page += "<tr><td class=\"l\">\(HTMLText.escape(name))</td><td>\(HTMLText.escape(value))</td></tr>"
        }
        page += "</table>\n<table id=\"latency\"><tr><th class=\"l\">latency (ms)</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>mean</th><th>n</th></tr>"
        for (name, summary, _) in self.latencySeries {
            let cells = [summary.p50, summary.p90, summary.p99, summary.max, summary.mean].map { String(format: "%.2f", $0 * 1000) }
            page += "<tr><td class=\"l\">\(name)</td>" + cells.map { "<td>\($0)</td>" }.joined() + "<td>\(summary.count)</td></tr>"
        }
        page += "</table>\n<h2>Latency CDFs</h2>\n<div class=\"charts\" id=\"cdfs\">"
        let colors = ["#1f77b4", "#2ca02c", "#9467bd", "#d62728"]
        for (index, (name, _, values)) in self.latencySeries.enumerated() {
            page += SVGChart(
                title: "\(name) CDF", xLabel: "\(name) (ms)", yLabel: "fraction of requests",
                series: [.init(label: name, color: colors[index % colors.count], points: SVGChart.cdf(values, scale: 1000))],
                yMax: 1
            ).render()
        }
        page += "</div>\n<h2>Throughput over time</h2>\n<div class=\"charts\" id=\"throughput\">"
        let timeline = s.timeline
        page += SVGChart(
            title: "Requests per second", xLabel: "time (s)", yLabel: "requests/s",
            series: [
                .init(label: "completed", color: "#1f77b4", points: timeline.map { (Double($0.second), Double($0.completed)) }),
                .init(label: "errors", color: "#d62728", points: timeline.map { (Double($0.second), Double($0.errors)) }),
            ]
        ).render()
        page += SVGChart(
            title: "Output tokens per second", xLabel: "time (s)", yLabel: "tokens/s",
            series: [.init(label: "tokens", color: "#2ca02c", points: timeline.map { (Double($0.second), Double($0.outputTokens)) })]
        ).render()
        page += "</div>\n<h2>Errors</h2>\n<table id=\"errors\"><tr><th class=\"l\">kind</th><th>count</th></tr>"
        for (kind, count) in s.errorsByKind.sorted(by: { $0.key < $1.key }) {
            page += "<tr><td class=\"l\">\(HTMLText.escape(kind))</td><td>\(count)</td></tr>"
        }
        page += "</table>\n"
        page += self.adminSection()
        page += "<h2>Slowest requests</h2>\n<table id=\"slowest\"><tr><th>#</th><th>e2e (ms)</th><th>TTFT (ms)</th><th>status</th><th class=\"l\">request id</th><th class=\"l\">trace id</th></tr>"
        for slow in s.slowest {
            let ttft = slow.ttft.map { String(format: "%.2f", $0 * 1000) } ?? "-"
            let status = slow.errorKind ?? slow.status.map(String.init) ?? "-"
            page += "<tr><td>\(slow.index)</td><td>\(String(format: "%.2f", slow.endToEnd * 1000))</td><td>\(ttft)</td>"
            page += "<td>\(HTMLText.escape(status))</td><td class=\"l\">\(HTMLText.escape(slow.requestID ?? "-"))</td>"
            page += "<td class=\"l\"><code>\(HTMLText.escape(slow.traceID ?? "-"))</code></td></tr>"
        }
        page += "</table>\n</body></html>\n"
        return page
    }

    /// Versions served, and with admin actions their outcomes and the version check.
    private func adminSection() -> String {
        var page = ""
        if !self.summary.servedVersions.isEmpty {
            page += "<h2>Served versions</h2>\n<table id=\"versions\"><tr><th class=\"l\">version</th><th>responses</th></tr>"
            for (version, count) in self.summary.servedVersions.sorted(by: { $0.key < $1.key }) {
                page += "<tr><td class=\"l\">\(HTMLText.escape(version))</td><td>\(count)</td></tr>"
            }
            page += "</table>\n"
        }
        guard let admin = self.admin else { return page }
        page += "<h2>Admin actions</h2>\n<p>In force at the start: \(HTMLText.escape(admin.inForceAtStart.joined(separator: ", ")))</p>\n"
        page += "<table id=\"admin\"><tr><th class=\"l\">action</th><th>sent (s)</th><th>answered (s)</th><th>status</th><th class=\"l\">outcome</th><th class=\"l\">in force after</th></tr>"
        for outcome in admin.actions {
            page += "<tr><td class=\"l\">\(HTMLText.escape(outcome.action.text))</td>"
            page += "<td>\(String(format: "%.2f", outcome.sentAt))</td><td>\(String(format: "%.2f", outcome.answeredAt))</td>"
            page += "<td>\(outcome.status.map(String.init) ?? "-")</td><td class=\"l\">\(HTMLText.escape(outcome.message))</td>"
            page += "<td class=\"l\">\(HTMLText.escape(outcome.inForceAfter.joined(separator: ", ")))</td></tr>"
        }
        page += "</table>\n<p id=\"version-check\">\(admin.violations.count) responses from a version not in force</p>\n"
        if !admin.violations.isEmpty {
            page += "<table id=\"violations\"><tr><th>#</th><th>start (s)</th><th class=\"l\">served</th><th class=\"l\">in force</th></tr>"
            for violation in admin.violations.prefix(50) {
                page += "<tr><td>\(violation.index)</td><td>\(String(format: "%.2f", violation.start))</td>"
                page += "<td class=\"l\">\(HTMLText.escape(violation.served))</td><td class=\"l\">\(HTMLText.escape(violation.inForce.joined(separator: ", ")))</td></tr>"
            }
            page += "</table>\n"
        }
        return page
    }
}
