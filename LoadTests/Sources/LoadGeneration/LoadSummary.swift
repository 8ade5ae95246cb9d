/// What a run measured, as the end table, the JSON and the HTML report show it.
public struct LoadSummary: Sendable, Hashable, Codable {
    /// One of the slowest requests, with what finds it in the server's logs and traces.
    public struct SlowRequest: Sendable, Hashable, Codable {
        public var index: Int
        public var endToEnd: Double
        public var ttft: Double?
        public var status: Int?
        public var errorKind: String?
        public var requestID: String?
        public var traceID: String?
    }

    /// Requests completed and tokens received in one second of the run.
    public struct TimelineBucket: Sendable, Hashable, Codable {
        public var second: Int
        public var completed: Int
        public var errors: Int
        public var outputTokens: Int
    }

    /// Seconds from the run's start to its last response.
    public var duration: Double
    public var requests: Int
    public var succeeded: Int
    public var failed: Int
    public var errorsByKind: [String: Int]
    public var statusCounts: [String: Int]
    public var requestThroughput: Double
    public var outputTokenThroughput: Double
    public var outputTokens: Int
    public var promptTokens: Int
    public var ttft: LatencySummary
    public var itl: LatencySummary
    public var tpot: LatencySummary
    public var endToEnd: LatencySummary
    public var slo: ServiceLevelObjective?
    /// Requests per second that succeeded within the SLO (nil without one).
    public var goodput: Double?
    public var goodRequests: Int?
    /// Responses compared with an expected text, and how many differed.
    public var compared: Int
    public var mismatches: Int
    public var slowest: [SlowRequest]
    public var timeline: [TimelineBucket]
    /// Successful responses by the `MODEL@VERSION` that served them.
    public var servedVersions: [String: Int]

    public init(records: [RequestRecord], duration: Double? = nil, slo: ServiceLevelObjective? = nil, slowestCount: Int = 10) {
        let successes = records.filter(\.succeeded)
        let lastEnd = records.map { $0.start + $0.endToEnd }.max() ?? 0
        let duration = duration ?? lastEnd
        let perSecond = duration > 0 ? 1 / duration : 0
        self.duration = duration
        self.requests = records.count
        self.succeeded = successes.count
        self.failed = records.count - successes.count
        var errors: [String: Int] = [:]
        var statuses: [String: Int] = [:]
        for record in records {
            if let kind = record.errorKind { errors[kind, default: 0] += 1 }
            statuses[record.status.map(String.init) ?? "none", default: 0] += 1
        }
        self.errorsByKind = errors
        self.statusCounts = statuses
        self.outputTokens = successes.reduce(0) { $0 + $1.outputTokens }
        self.promptTokens = successes.reduce(0) { $0 + ($1.promptTokens ?? 0) }
        self.requestThroughput = Double(successes.count) * perSecond
        self.outputTokenThroughput = Double(self.outputTokens) * perSecond
        self.ttft = LatencySummary(successes.compactMap(\.ttft))
        self.itl = LatencySummary(successes.flatMap(\.interTokenGaps))
        self.tpot = LatencySummary(successes.compactMap(\.tpot))
        self.endToEnd = LatencySummary(successes.map(\.endToEnd))
        self.slo = slo
        if let slo {
            let good = successes.filter(slo.isMet(by:)).count
            self.goodRequests = good
            self.goodput = Double(good) * perSecond
        }
        let compared = records.compactMap(\.mismatch)
        self.compared = compared.count
        self.mismatches = compared.filter { $0 }.count
        self.slowest = records.sorted { $0.endToEnd > $1.endToEnd }.prefix(slowestCount).map {
            SlowRequest(
                index: $0.index, endToEnd: $0.endToEnd, ttft: $0.ttft, status: $0.status, errorKind: $0.errorKind,
                requestID: $0.requestID, traceID: $0.traceID)
        }
        self.timeline = Self.timeline(records, duration: duration)
        self.servedVersions = successes.reduce(into: [:]) { counts, record in
            if let served = record.servedAs { counts[served, default: 0] += 1 }
        }
    }

    private static func timeline(_ records: [RequestRecord], duration: Double) -> [TimelineBucket] {
        let seconds = max(1, Int(duration.rounded(.up)))
        guard seconds <= 86_400 else { return [] }
        var buckets = (0..<seconds).map { TimelineBucket(second: $0, completed: 0, errors: 0, outputTokens: 0) }
        for record in records {
            let second = min(seconds - 1, max(0, Int(record.start + record.endToEnd)))
            if record.succeeded {
                buckets[second].completed += 1
                buckets[second].outputTokens += record.outputTokens
            } else {
                buckets[second].errors += 1
            }
        }
        return buckets
    }
}
