/// Percentiles of one latency figure over a run, in seconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    public var count: Int
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    public init(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        self.count = sorted.count
        self.mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        self.p50 = Self.percentile(0.50, ofSorted: sorted)
        self.p90 = Self.percentile(0.90, ofSorted: sorted)
        self.p99 = Self.percentile(0.99, ofSorted: sorted)
        self.max = sorted.last ?? 0
    }

    /// Linear interpolation between the closest ranks (numpy's default), 0 for no values.
    public static func percentile(_ fraction: Double, ofSorted sorted: [Double]) -> Double {
        guard let first = sorted.first else { return 0 }
        guard sorted.count > 1 else { return first }
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * weight
    }
}
