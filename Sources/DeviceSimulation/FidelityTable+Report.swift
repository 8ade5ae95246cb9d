/// The fidelity table as Docs/SIMULATOR.md shows it: one Markdown row per measurement, then
/// each half's median and worst absolute error.
public struct FidelityReport: Sendable {
    public var results: [FidelityResult]
    public var fractions: AchievedFractions

    public init(fractions: AchievedFractions = .calibrated) throws(DeviceSimulationError) {
        self.fractions = fractions
        self.results = try FidelityTable.evaluate(fractions: fractions)
    }

    /// Absolute errors of one half.
    public func errors(_ half: FidelityMeasurement.Half) -> [Double] {
        self.results.filter { $0.row.half == half }.map { abs($0.error) }
    }

    public func median(_ half: FidelityMeasurement.Half) -> Double { FidelityTable.median(self.errors(half)) }

    /// The worst row of a half.
    public func worst(_ half: FidelityMeasurement.Half) -> FidelityResult? {
        self.results.filter { $0.row.half == half }.max { abs($0.error) < abs($1.error) }
    }

    public var markdown: String {
        var lines = [
            "| row | half | source | GPU | model | TP | batch | ISL/OSL | metric | measured | predicted | error |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for result in self.results {
            let row = result.row
            let gpu = row.device.name.split(separator: " ").first.map(String.init) ?? row.device.name
            let lengths = row.metric == .firstTokenMilliseconds ? "\(row.inputTokens)/–" : "\(row.inputTokens)/\(row.outputTokens)"
            let cells = [
                row.id, row.half.rawValue, row.source, gpu, row.model, "\(row.tensorParallel)", "\(row.batch)", lengths,
                row.metric.rawValue, Self.decimal(row.measured, digits: 0), Self.decimal(result.predicted, digits: 1),
                Self.percent(result.error),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        for half in [FidelityMeasurement.Half.heldOut, .fit] {
            let worst = self.worst(half)
            lines.append(
                "\(half.rawValue): \(self.errors(half).count) rows, median absolute error \(Self.percent(self.median(half), signed: false)), worst \(Self.percent(abs(worst?.error ?? 0), signed: false)) (\(worst?.row.id ?? "-"))")
        }
        return lines.joined(separator: "\n")
    }

    /// `value` with `digits` decimals and thousands separators ("19,694", "2,577.3").
    static func decimal(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        var text = ""
        var remaining = whole
        repeat {
            let group = remaining % 1000
            remaining /= 1000
            let digitsText = remaining > 0 ? String(String(group).reversed()).padding(to: 3) : String(String(group).reversed())
            text = (text.isEmpty ? "" : ",") + text
            text = String(digitsText.reversed()) + text
        } while remaining > 0
        if digits > 0 {
            let fraction = String(scaled % Int(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (value < 0 ? "−" : "") + text
    }

    /// A relative error as a signed percentage with one decimal ("+4.8%", "−24.3%").
    static func percent(_ value: Double, signed: Bool = true) -> String {
        let text = Self.decimal(abs(value) * 100, digits: 1) + "%"
        guard signed else { return text }
        return (value < 0 ? "−" : "+") + text
    }
}

extension String {
    /// Right-pads with zeros to `length` characters (used on reversed digit groups).
    fileprivate func padding(to length: Int) -> String {
        self.count >= length ? self : self + String(repeating: "0", count: length - self.count)
    }
}
