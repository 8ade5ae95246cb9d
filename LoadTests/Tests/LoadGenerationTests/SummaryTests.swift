import LoadGeneration
import Testing

@Suite("Summaries, distributions and options")
struct SummaryTests {
    @Test("percentiles interpolate between ranks as numpy does")
    func percentiles() {
        let summary = LatencySummary((1...100).map(Double.init))
        #expect(summary.p50 == 50.5)
        #expect(abs(summary.p90 - 90.1) < 1e-9)
        #expect(abs(summary.p99 - 99.01) < 1e-9)
        #expect(summary.max == 100 && summary.count == 100)
        #expect(LatencySummary([]).p99 == 0)
    }

    @Test("goodput counts only successes within every target; TPOT is per token after the first")
    func goodput() throws {
        let fast = RequestRecord(index: 0, start: 0, status: 200, ttft: 0.1, endToEnd: 0.5, outputTokens: 11)
        let slowFirst = RequestRecord(index: 1, start: 0, status: 200, ttft: 0.9, endToEnd: 1.0, outputTokens: 3)
        let slowTokens = RequestRecord(index: 2, start: 0, status: 200, ttft: 0.1, endToEnd: 2.1, outputTokens: 11)
        let failed = RequestRecord(index: 3, start: 0, status: 429, errorKind: "http_429", endToEnd: 0.01)
        #expect(abs((fast.tpot ?? 0) - 0.04) < 1e-12)
        let slo = try ServiceLevelObjective(parsing: "ttft=500ms,tpot=50ms")
        let summary = LoadSummary(records: [fast, slowFirst, slowTokens, failed], duration: 2, slo: slo)
        #expect(summary.goodRequests == 1)
        #expect(summary.goodput == 0.5)
        #expect(summary.errorsByKind == ["http_429": 1])
        #expect(summary.slowest.first?.index == 2)
    }

    @Test("length distributions parse and sample within their bounds, repeatably")
    func distributions() throws {
        var generator = SplitMix64(seed: 7)
        let uniform = try LengthDistribution(parsing: "uniform:3-9", option: "--input-len")
        let samples = (0..<500).map { _ in uniform.sample(using: &generator) }
        #expect(samples.allSatisfy { (3...9).contains($0) } && Set(samples).count == 7)
        let normal = try LengthDistribution(parsing: "normal:100,10", option: "--input-len")
        let mean = Double((0..<2000).reduce(0) { total, _ in total + normal.sample(using: &generator) }) / 2000
        #expect(abs(mean - 100) < 2)
        #expect(try LengthDistribution(parsing: "12", option: "x") == .fixed(12))
        #expect(throws: LoadConfigurationError.self) { try LengthDistribution(parsing: "normal:5", option: "x") }
        #expect(throws: LoadConfigurationError.self) { try LengthDistribution(parsing: "fixed:0", option: "x") }
    }

    @Test("a seeded workload repeats; shared prefixes are shared within a group only")
    func workloads() throws {
        let workload = Workload(
            template: .init(), source: .synthetic(input: .fixed(20), sharedPrefix: 8, prefixGroups: 2), output: .fixed(4), seed: 3)
        let first = try #require(workload.request(0))
        let again = try #require(workload.request(0))
        let sameGroup = try #require(workload.request(2))
        let otherGroup = try #require(workload.request(1))
        #expect(first == again)
        let words = { (request: LoadRequest) in request.prompt.split(separator: " ") }
        #expect(words(first).count == 20)
        #expect(words(first).prefix(8) == words(sameGroup).prefix(8))
        #expect(words(first).prefix(8) != words(otherGroup).prefix(8))
        #expect(words(first) != words(sameGroup))
    }

    @Test("SLO and duration text")
    func sloParsing() throws {
        let slo = try ServiceLevelObjective(parsing: "ttft=0.5s,tpot=50,e2e=2s")
        #expect(slo.ttft == 0.5 && slo.tpot == 0.05 && slo.endToEnd == 2)
        #expect(throws: LoadConfigurationError.self) { try ServiceLevelObjective(parsing: "latency=5ms") }
        #expect(DurationText.seconds("250us") == 0.00025)
        #expect(DurationText.seconds("2m") == 120)
        #expect(DurationText.seconds("-3s") == nil)
    }
}
