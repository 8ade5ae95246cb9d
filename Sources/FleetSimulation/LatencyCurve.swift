import Foundation

/// A sweep over request rates: one report per rate, drawn as latency against throughput.
public struct LatencyCurve: Sendable, Equatable {
    public var title: String
    public var points: [(rate: Double, report: SimulationReport)]

    public init(title: String, points: [(rate: Double, report: SimulationReport)]) {
        self.title = title
        self.points = points
    }

    public static func == (lhs: LatencyCurve, rhs: LatencyCurve) -> Bool {
        lhs.title == rhs.title && lhs.points.elementsEqual(rhs.points) { $0.rate == $1.rate && $0.report == $1.report }
    }

    /// Two panels over output tokens per second: TTFT (p50, p99) and TPOT (p50, p99), in ms,
    /// each point labelled with its request rate. Plain SVG 1.1, no scripts.
    public var svg: String {
        let width = 720.0
        let panelHeight = 260.0
        let margin = (left: 70.0, right: 20.0, top: 50.0, bottom: 45.0)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = panelHeight - margin.top - margin.bottom
        let xs = self.points.map(\.report.outputTokensPerSecond)
        let xMax = Self.niceCeiling(xs.max() ?? 1)
        var body: [String] = []
        let panels: [(String, (SimulationReport) -> (Double, Double))] = [
            ("TTFT (ms)", { ($0.ttft.p50 * 1000, $0.ttft.p99 * 1000) }),
            ("TPOT (ms)", { ($0.tpot.p50 * 1000, $0.tpot.p99 * 1000) }),
        ]
        for (panel, (label, metric)) in panels.enumerated() {
            let top = Double(panel) * panelHeight + margin.top
            let values = self.points.map { metric($0.report) }
            let yMax = Self.niceCeiling(values.map { max($0.0, $0.1) }.max() ?? 1)
            func x(_ value: Double) -> Double { margin.left + value / xMax * plotWidth }
            func y(_ value: Double) -> Double { top + plotHeight - value / yMax * plotHeight }
            body.append(Self.rect(margin.left, top, plotWidth, plotHeight))
            for tick in 0...4 {
                let fraction = Double(tick) / 4
                body.append(Self.text(margin.left - 8, y(yMax * fraction) + 4, Self.format(yMax * fraction), anchor: "end"))
                body.append(Self.text(x(xMax * fraction), top + plotHeight + 16, Self.format(xMax * fraction), anchor: "middle"))
            }
            body.append(Self.text(16, top + plotHeight / 2, label, anchor: "middle", rotate: true))
            body.append(Self.text(margin.left + plotWidth / 2, top + plotHeight + 34, "output tokens/s", anchor: "middle"))
            for (series, color) in [(0, "#1f77b4"), (1, "#d62728")] {
                let coordinates = zip(xs, values).map { (x($0), y(series == 0 ? $1.0 : $1.1)) }
                let path = coordinates.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
                body.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>")
                for (index, point) in coordinates.enumerated() {
                    body.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"\(color)\"/>", point.0, point.1))
                    if series == 1 {
                        body.append(Self.text(point.0 + 4, point.1 - 6, "\(Self.format(self.points[index].rate)) req/s", anchor: "start", size: 10))
                    }
                }
            }
            body.append(Self.text(margin.left + plotWidth - 4, top + 14, "p50", anchor: "end", color: "#1f77b4"))
            body.append(Self.text(margin.left + plotWidth - 4, top + 28, "p99", anchor: "end", color: "#d62728"))
        }
        let height = panelHeight * Double(panels.count)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            \(Self.text(width / 2, 24, Self.escape(self.title), anchor: "middle", size: 14))
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    static func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double) -> String {
        String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>", x, y, width, height)
    }

    static func text(
        _ x: Double, _ y: Double, _ content: String, anchor: String, size: Int = 12, color: String = "#222", rotate: Bool = false
    ) -> String {
        let transform = rotate ? String(format: " transform=\"rotate(-90 %.1f %.1f)\"", x, y) : ""
        return String(format: "<text x=\"%.1f\" y=\"%.1f\"", x, y)
            + " text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(color)\"\(transform)>\(content)</text>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 5.0, 10.0] where step * power >= value { return step * power }
        return 10 * power
    }

    static func format(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(Int(value.rounded())) : String(format: "%.2g", value)
    }
}
