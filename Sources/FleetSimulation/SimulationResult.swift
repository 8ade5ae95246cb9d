/// What a run produced: each request's timeline and the fleet's figures. `report(slo:)`
/// turns it into the summary `switchyard simulate` prints.
public struct SimulationResult: Sendable {
    public let workload: Workload
    let timeline: FleetSimulator.Timeline
    public let kvUsage: KVUsage
    public let steps: Int
    public let preemptions: Int
    public let prefixCacheHits: Int
    public let prefixCacheQueries: Int
    /// Every step's shape, when `SimulationSetup.recordSteps` asked for them.
    public let stepRecords: [StepRecord]
    /// Wall time the simulation itself took.
    public let wallTime: Duration

    init(
        workload: Workload, timeline: FleetSimulator.Timeline, kvUsage: KVUsage, steps: Int, preemptions: Int,
        prefixCacheHits: Int, prefixCacheQueries: Int, stepRecords: [StepRecord], wallTime: Duration
    ) {
        self.workload = workload
        self.timeline = timeline
        self.kvUsage = kvUsage
        self.steps = steps
        self.preemptions = preemptions
        self.prefixCacheHits = prefixCacheHits
        self.prefixCacheQueries = prefixCacheQueries
        self.stepRecords = stepRecords
        self.wallTime = wallTime
    }

    /// Simulated time each request finished, in workload order (nil: rejected or unfinished).
    public var finishTimes: [Double?] { self.timeline.finish }
    public var outputTokens: [Int] { self.timeline.outputTokens }
}

/// A latency target: time to first token and time per output token, in seconds.
public struct ServiceLevelObjective: Sendable, Equatable, Codable {
    public var ttft: Double
    public var tpot: Double

    public init(ttft: Double, tpot: Double) {
        self.ttft = ttft
        self.tpot = tpot
    }

    /// `ttft=0.5,tpot=0.05` in seconds, or with units: `ttft=500ms,tpot=50ms`.
    public init(parsing text: String) throws(SimulationError) {
        var ttft: Double?
        var tpot: Double?
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let value = Self.seconds(pair[1]) else {
                throw SimulationError("--slo '\(text)': expected ttft=SECONDS,tpot=SECONDS (e.g. ttft=0.5,tpot=50ms)")
            }
            switch pair[0] {
            case "ttft": ttft = value
            case "tpot": tpot = value
            default: throw SimulationError("--slo '\(text)': unknown target '\(pair[0])' (ttft, tpot)")
            }
        }
        guard let ttft, let tpot else { throw SimulationError("--slo '\(text)': both ttft and tpot are required") }
        self.init(ttft: ttft, tpot: tpot)
    }

    static func seconds(_ text: String) -> Double? {
        var number = Substring(text)
        var scale = 1.0
        if number.hasSuffix("ms") {
            number = number.dropLast(2)
            scale = 1e-3
        } else if number.hasSuffix("s") {
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value * scale
    }
}
