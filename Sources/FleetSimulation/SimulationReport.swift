import DeviceSimulation
import Foundation
import GatewayCore

/// Percentiles of one latency, in seconds.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    /// Nearest-rank percentiles of `samples` (all zero when there are none).
    public init(_ samples: [Double]) {
        guard !samples.isEmpty else {
            self.init(mean: 0, p50: 0, p90: 0, p99: 0, max: 0)
            return
        }
        let sorted = samples.sorted()
        func rank(_ q: Double) -> Double {
            sorted[min(sorted.count - 1, Swift.max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }
        self.init(
            mean: sorted.reduce(0, +) / Double(sorted.count), p50: rank(0.5), p90: rank(0.9), p99: rank(0.99),
            max: sorted[sorted.count - 1])
    }

    public init(mean: Double, p50: Double, p90: Double, p99: Double, max: Double) {
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }
}

/// The summary `switchyard simulate` prints (and `--format json` encodes).
public struct SimulationReport: Sendable, Equatable, Codable {
    public struct Goodput: Sendable, Equatable, Codable {
        public var slo: ServiceLevelObjective
        /// Requests per second that finished within both targets.
        public var requestsPerSecond: Double
        /// Share of all requests (rejected ones included) that met both targets.
        public var fraction: Double
    }

    public var model: String
    public var device: String
    public var fleet: String
    public var replicas: Int
    public var tensorParallel: Int
    public var kvTokensPerReplica: Int
    public var workload: String
    public var requests: Int
    public var completed: Int
    public var rejected: Int
    public var unfinished: Int
    /// Simulated seconds from the first arrival to the last finish.
    public var simulatedSeconds: Double
    public var requestsPerSecond: Double
    public var inputTokensPerSecond: Double
    public var outputTokensPerSecond: Double
    public var ttft: LatencySummary
    public var tpot: LatencySummary
    public var itl: LatencySummary
    public var e2e: LatencySummary
    public var kvUsage: KVUsage
    public var steps: Int
    public var preemptions: Int
    public var prefixCacheHitRate: Double
    public var goodput: Goodput?
    /// Wall seconds the simulation took.
    public var wallSeconds: Double

    public init(simulator: FleetSimulator, result: SimulationResult, slo: ServiceLevelObjective?) {
        let setup = simulator.setup
        let timeline = result.timeline
        let requests = result.workload.requests
        var ttft: [Double] = []
        var tpot: [Double] = []
        var e2e: [Double] = []
        var good = 0
        var inputTokens = 0
        var outputTokens = 0
        var lastFinish = 0.0
        for index in requests.indices {
            guard let finish = timeline.finish[index], let first = timeline.firstToken[index] else { continue }
            let arrival = timeline.arrival[index]
            let toFirst = first - arrival
            let tokens = timeline.outputTokens[index]
            let perToken = tokens > 1 ? (finish - first) / Double(tokens - 1) : 0
            ttft.append(toFirst)
            tpot.append(perToken)
            e2e.append(finish - arrival)
            inputTokens += requests[index].inputTokens
            outputTokens += tokens
            lastFinish = Swift.max(lastFinish, finish)
            if let slo, toFirst <= slo.ttft, perToken <= slo.tpot { good += 1 }
        }
        let span = Swift.max(lastFinish - (requests.first?.arrival ?? 0), 1e-9)
        let rejected = timeline.rejected.filter { $0 }.count
        self.model = setup.profile.label
        self.device = setup.device.name
        self.fleet = setup.fleet.description
        self.replicas = simulator.devices.count
        self.tensorParallel = setup.tensorParallel
        self.kvTokensPerReplica = simulator.kvTokensPerReplica
        self.workload = result.workload.label
        self.requests = requests.count
        self.completed = e2e.count
        self.rejected = rejected
        self.unfinished = requests.count - e2e.count - rejected
        self.simulatedSeconds = e2e.isEmpty ? 0 : span
        self.requestsPerSecond = Double(e2e.count) / span
        self.inputTokensPerSecond = Double(inputTokens) / span
        self.outputTokensPerSecond = Double(outputTokens) / span
        self.ttft = LatencySummary(ttft)
        self.tpot = LatencySummary(tpot)
        self.itl = LatencySummary(timeline.interTokenGaps)
        self.e2e = LatencySummary(e2e)
        self.kvUsage = result.kvUsage
        self.steps = result.steps
        self.preemptions = result.preemptions
        self.prefixCacheHitRate =
            result.prefixCacheQueries == 0 ? 0 : Double(result.prefixCacheHits) / Double(result.prefixCacheQueries)
        self.goodput = slo.map {
            Goodput(slo: $0, requestsPerSecond: Double(good) / span, fraction: requests.isEmpty ? 0 : Double(good) / Double(requests.count))
        }
        self.wallSeconds = result.wallTime.secondsValue
    }

    /// Pretty-printed JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Plain numbers and strings only, so encoding cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The human-readable summary.
    public var text: String {
        func ms(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }
        func row(_ name: String, _ summary: LatencySummary) -> String {
            [name.padding(toLength: 6, withPad: " ", startingAt: 0), ms(summary.mean), ms(summary.p50), ms(summary.p90),
                ms(summary.p99), ms(summary.max)]
                .enumerated().map { $0.offset == 0 ? $0.element : String(repeating: " ", count: Swift.max(0, 10 - $0.element.count)) + $0.element }
                .joined()
        }
        var lines = [
            "\(self.model) on \(self.fleet) × \(self.device): \(self.replicas) replica\(self.replicas == 1 ? "" : "s") at tp\(self.tensorParallel), \(self.kvTokensPerReplica) KV tokens each",
            "workload \(self.workload): \(self.requests) requests, \(self.completed) completed, \(self.rejected) rejected, \(self.unfinished) unfinished",
            String(
                format: "simulated %.2f s: %.2f req/s, %.0f input tok/s, %.0f output tok/s",
                self.simulatedSeconds, self.requestsPerSecond, self.inputTokensPerSecond, self.outputTokensPerSecond),
            "latency (ms)    mean       p50       p90       p99       max",
            row("TTFT", self.ttft), row("TPOT", self.tpot), row("ITL", self.itl), row("E2E", self.e2e),
            String(
                format: "KV usage: mean %.1f%%, peak %.1f%%; %d steps, %d preemptions, prefix cache hit rate %.1f%%",
                self.kvUsage.mean * 100, self.kvUsage.peak * 100, self.steps, self.preemptions, self.prefixCacheHitRate * 100),
        ]
        if let goodput = self.goodput {
            lines.append(
                "goodput (TTFT ≤ \(ms(goodput.slo.ttft)) ms, TPOT ≤ \(ms(goodput.slo.tpot)) ms): "
                    + String(format: "%.2f req/s, %.1f%% of requests", goodput.requestsPerSecond, goodput.fraction * 100))
        }
        lines.append(String(format: "(simulated in %.2f s of wall time)", self.wallSeconds))
        return lines.joined(separator: "\n")
    }
}
