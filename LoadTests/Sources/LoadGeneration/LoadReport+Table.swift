import Foundation

extension LoadReport {
    /// The end-of-run table for a terminal.
    public func table() -> String {
        let s = self.summary
        var lines: [String] = []
        lines.append(String(format: "requests   %d (%d ok, %d failed) in %.2f s", s.requests, s.succeeded, s.failed, s.duration))
        lines.append(String(format: "throughput %.2f req/s, %.1f output tok/s (%d output, %d prompt tokens)",
            s.requestThroughput, s.outputTokenThroughput, s.outputTokens, s.promptTokens))
        if let goodput = s.goodput, let good = s.goodRequests, let slo = s.slo {
            lines.append(String(format: "goodput    %.2f req/s (%d of %d within %@)", goodput, good, s.requests, Self.describe(slo)))
        }
        lines.append("")
        lines.append(Self.row("latency (ms)", ["p50", "p90", "p99", "max", "mean", "n"]))
        for (name, summary, _) in self.latencySeries {
            let cells = [summary.p50, summary.p90, summary.p99, summary.max, summary.mean].map { String(format: "%.2f", $0 * 1000) }
            lines.append(Self.row(name, cells + [String(summary.count)]))
        }
        lines.append("")
        if s.errorsByKind.isEmpty {
            lines.append("errors     none")
        } else {
            let kinds = s.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append("errors     " + kinds.joined(separator: ", "))
        }
        let statuses = s.statusCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("statuses   " + statuses.joined(separator: ", "))
        if s.compared > 0 {
            lines.append("expect     \(s.mismatches) of \(s.compared) responses differ from the expected text")
        }
        if !s.servedVersions.isEmpty {
            lines.append("versions   " + s.servedVersions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let admin = self.admin {
            lines.append("admin      in force at the start: \(admin.inForceAtStart.joined(separator: ", "))")
            for outcome in admin.actions {
                let action = outcome.action.text.padding(toLength: max(30, outcome.action.text.count), withPad: " ", startingAt: 0)
                let times = String(format: "sent %7.2f s, answered %7.2f s", outcome.sentAt, outcome.answeredAt)
                let status = outcome.status.map(String.init) ?? "-"
                lines.append("  \(action) \(times): \(status) \(outcome.message); in force: \(outcome.inForceAfter.joined(separator: ", "))")
            }
            lines.append("           \(admin.violations.count) responses from a version not in force")
        }
        if !s.slowest.isEmpty {
            lines.append("slowest")
            for slow in s.slowest.prefix(5) {
                let ttft = slow.ttft.map { String(format: "%.1f", $0 * 1000) } ?? "-"
                lines.append(String(format: "  #%-6d e2e %8.1f ms  ttft %8@ ms  %@  %@  trace %@",
                    slow.index, slow.endToEnd * 1000, ttft, slow.errorKind ?? String(slow.status ?? 0),
                    slow.requestID ?? "-", slow.traceID ?? "-"))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ slo: ServiceLevelObjective) -> String {
        var parts: [String] = []
        if let ttft = slo.ttft { parts.append(String(format: "ttft<=%.0fms", ttft * 1000)) }
        if let tpot = slo.tpot { parts.append(String(format: "tpot<=%.0fms", tpot * 1000)) }
        if let e2e = slo.endToEnd { parts.append(String(format: "e2e<=%.0fms", e2e * 1000)) }
        return parts.joined(separator: " ")
    }

    private static func row(_ name: String, _ cells: [String]) -> String {
        name.padding(toLength: 12, withPad: " ", startingAt: 0) + cells.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
    }
}
