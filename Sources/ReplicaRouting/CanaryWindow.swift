/// One version's recent outcomes over a sliding time window: error rate and p99 time to
/// first token, what automatic rollback compares between canary and stable.
struct CanaryWindow: Sendable {
    struct Sample: Sendable {
        var at: ContinuousClock.Instant
        var failed: Bool
        var timeToFirstToken: Duration?
    }

    private(set) var samples: [Sample] = []

    mutating func record(_ sample: Sample, window: Duration) {
        self.samples.append(sample)
        let horizon = sample.at - window
        if let first = self.samples.firstIndex(where: { $0.at >= horizon }), first > 0 {
            self.samples.removeFirst(first)
        }
    }

    mutating func reset() { self.samples.removeAll() }

    var count: Int { self.samples.count }

    var errorRate: Double {
        self.samples.isEmpty ? 0 : Double(self.samples.filter(\.failed).count) / Double(self.samples.count)
    }

    /// p99 of the successful samples' TTFT, nil with none.
    var p99TimeToFirstToken: Duration? {
        let times = self.samples.compactMap(\.timeToFirstToken).sorted()
        guard !times.isEmpty else { return nil }
        let rank = Int((Double(times.count) * 0.99).rounded(.up)) - 1
        return times[min(max(rank, 0), times.count - 1)]
    }
}

/// When a canary is rolled back without an operator: over `window`, once the canary has
/// `minimumRequests` outcomes, its error rate exceeds stable's by more than
/// `errorRateMargin`, or its p99 TTFT exceeds stable's by more than `ttftMargin` (a fraction)
/// and by at least `minimumTTFTExcess` (so microsecond noise on idle replicas never counts).
public struct AutoRollbackPolicy: Sendable, Equatable {
    public var enabled = true
    public var window: Duration = .seconds(60)
    public var minimumRequests = 20
    public var errorRateMargin = 0.05
    public var ttftMargin = 1.0
    public var minimumTTFTExcess: Duration = .milliseconds(100)

    public init() {}

    /// Why the canary should roll back, or nil.
    func verdict(canary: CanaryWindow, stable: CanaryWindow) -> String? {
        guard self.enabled, canary.count >= self.minimumRequests else { return nil }
        let canaryErrors = canary.errorRate
        let stableErrors = stable.errorRate
        if canaryErrors - stableErrors > self.errorRateMargin {
            return "canary error rate \(Self.percent(canaryErrors)) exceeds stable's \(Self.percent(stableErrors)) by more than \(Self.percent(self.errorRateMargin)) over \(canary.count) requests"
        }
        if stable.count >= self.minimumRequests, let canaryP99 = canary.p99TimeToFirstToken,
            let stableP99 = stable.p99TimeToFirstToken, canaryP99 > stableP99 * (1 + self.ttftMargin),
            canaryP99 - stableP99 >= self.minimumTTFTExcess
        {
            return "canary p99 TTFT \(canaryP99) exceeds stable's \(stableP99) by more than \(Self.percent(self.ttftMargin))"
        }
        return nil
    }

    private static func percent(_ value: Double) -> String {
        "\((value * 1000).rounded() / 10)%"
    }
}
