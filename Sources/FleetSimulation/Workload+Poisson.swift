import Foundation

/// Arrivals of a Poisson process at `rate` requests per second, every request with the same
/// input and output lengths, for `count` requests or `duration` seconds; `seed` repeats a run.
struct PoissonWorkload {
    var rate: Double
    var input: Int
    var output: Int
    var count: Int?
    var duration: Double?
    var seed: UInt64 = 1
    var label: String

    init(parsing specification: String) throws(SimulationError) {
        let usage = "expected poisson:rate=R,input=N,output=N[,count=N|duration=S][,seed=N]"
        self.label = specification
        var fields: [String: String] = [:]
        for part in specification.dropFirst("poisson:".count).split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty else {
                throw SimulationError("workload '\(specification)': '\(part)' is not KEY=VALUE; \(usage)")
            }
            guard ["rate", "input", "output", "count", "duration", "seed"].contains(pair[0]) else {
                throw SimulationError("workload '\(specification)': unknown key '\(pair[0])'; \(usage)")
            }
            fields[pair[0]] = pair[1]
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(SimulationError) -> Int? {
            guard let text = fields[key] else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw SimulationError("workload '\(specification)': \(key) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return value
        }
        func number(_ key: String) throws(SimulationError) -> Double? {
            guard let text = fields[key] else { return nil }
            guard let value = Double(text), value.isFinite, value > 0, value <= 1e9 else {
                throw SimulationError("workload '\(specification)': \(key) must be a positive number, got '\(text)'")
            }
            return value
        }
        guard let rate = try number("rate"), let input = try integer("input", 1...Workload.maxTokensPerRequest),
            let output = try integer("output", 1...Workload.maxTokensPerRequest)
        else {
            throw SimulationError("workload '\(specification)': rate, input and output are required; \(usage)")
        }
        self.rate = rate
        self.input = input
        self.output = output
        self.count = try integer("count", 1...Workload.maxRequests)
        self.duration = try number("duration")
        if let seed = try integer("seed", 0...Int.max) { self.seed = UInt64(seed) }
        guard (self.count == nil) != (self.duration == nil) else {
            throw SimulationError("workload '\(specification)': give exactly one of count and duration")
        }
        if let duration = self.duration, duration * rate > Double(Workload.maxRequests) {
            throw SimulationError("workload '\(specification)': rate × duration exceeds \(Workload.maxRequests) requests")
        }
    }

    func generate() -> Workload {
        var generator = SplitMix64(seed: self.seed)
        var requests: [WorkloadRequest] = []
        var time = 0.0
        while true {
            // Exponential inter-arrival time; 1 − u is in (0, 1], so the log is finite.
            time += -log(1 - generator.nextUnit()) / self.rate
            if let count = self.count, requests.count >= count { break }
            if let duration = self.duration, time > duration { break }
            requests.append(WorkloadRequest(arrival: time, inputTokens: self.input, outputTokens: self.output))
        }
        return Workload(requests: requests, label: self.label)
    }
}

/// A small, seedable generator (SplitMix64), so a workload repeats exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(self.next() >> 11) * 0x1p-53 }
}
