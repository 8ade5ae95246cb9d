import Foundation

/// Line charts as inline SVG, so the HTML report needs no script and no external asset.
struct SVGChart {
    struct Series {
        var label: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var width = 520.0
    var height = 300.0
    /// Fixed upper bound for y (1 for a CDF); otherwise the data's maximum.
    var yMax: Double?

    private let left = 60.0, right = 16.0, top = 30.0, bottom = 44.0

    func render() -> String {
        let allX = self.series.flatMap { $0.points.map(\.x) }
        let allY = self.series.flatMap { $0.points.map(\.y) }
        let xMax = Self.niceCeiling(allX.max() ?? 1)
        let yMax = self.yMax ?? Self.niceCeiling(allY.max() ?? 1)
        let plotWidth = self.width - self.left - self.right
        let plotHeight = self.height - self.top - self.bottom
        func px(_ x: Double) -> Double { self.left + (xMax > 0 ? x / xMax : 0) * plotWidth }
        func py(_ y: Double) -> Double { self.top + plotHeight - (yMax > 0 ? y / yMax : 0) * plotHeight }

        var svg = String(format: "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
            self.width, self.height, self.width, self.height)
        svg += "<title>\(HTMLText.escape(self.title))</title>"
        svg += "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        svg += String(format: "<text x=\"%.0f\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%@</text>", self.left, HTMLText.escape(self.title))
        for tick in 0...4 {
            let fraction = Double(tick) / 4
            let y = py(yMax * fraction)
            let x = px(xMax * fraction)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>", self.left, y, self.left + plotWidth, y)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>", self.left - 4, y + 3, Self.label(yMax * fraction))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%@</text>", x, self.top + plotHeight + 14, Self.label(xMax * fraction))
        }
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>", self.left, self.top, plotWidth, plotHeight)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%@</text>",
            self.left + plotWidth / 2, self.height - 8, HTMLText.escape(self.xLabel))
        svg += String(format: "<text x=\"12\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 %.1f)\">%@</text>",
            self.top + plotHeight / 2, self.top + plotHeight / 2, HTMLText.escape(self.yLabel))
        for (index, series) in self.series.enumerated() {
            let points = series.points.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ")
            if !points.isEmpty {
                svg += "<polyline class=\"series\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.8\" points=\"\(points)\"/>"
            }
            let legendY = self.top + 14 + Double(index) * 14
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%@\" text-anchor=\"end\">%@</text>",
                self.left + plotWidth - 6, legendY, series.color, HTMLText.escape(series.label))
        }
        return svg + "</svg>"
    }

    /// A CDF's points from raw values, at most `limit` of them.
    static func cdf(_ values: [Double], scale: Double, limit: Int = 400) -> [(x: Double, y: Double)] {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return [] }
        let step = max(1, sorted.count / limit)
        var points: [(x: Double, y: Double)] = [(sorted[0] * scale, 0)]
        for index in stride(from: 0, to: sorted.count, by: step) {
            points.append((sorted[index] * scale, Double(index + 1) / Double(sorted.count)))
        }
        points.append((sorted[sorted.count - 1] * scale, 1))
        return points
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= value {
            return factor * magnitude
        }
        return 10 * magnitude
    }

    private static func label(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2g", value)
    }
}

enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
