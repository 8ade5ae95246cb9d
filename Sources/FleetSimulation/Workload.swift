import GatewayCore

/// One request of a simulated workload: when it arrives and how many tokens it has.
public struct WorkloadRequest: Sendable, Equatable {
    /// Seconds after the start of the run.
    public var arrival: Double
    public var inputTokens: Int
    public var outputTokens: Int
    /// Requests with the same prefix id share their prompt but for its last block.
    public var prefixID: String?
    public var priority: Priority

    public init(arrival: Double, inputTokens: Int, outputTokens: Int, prefixID: String? = nil, priority: Priority = .normal) {
        self.arrival = arrival
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.prefixID = prefixID
        self.priority = priority
    }
}

/// A list of requests in arrival order, from a Poisson process or a JSONL trace.
public struct Workload: Sendable, Equatable {
    public var requests: [WorkloadRequest]
    /// How the workload was given, for reports (`poisson:rate=…` or the trace's path).
    public var label: String

    public init(requests: [WorkloadRequest], label: String) {
        // Stable: requests that arrive together keep their order.
        self.requests = requests.enumerated().sorted { ($0.element.arrival, $0.offset) < ($1.element.arrival, $1.offset) }
            .map(\.element)
        self.label = label
    }

    /// Most tokens one request may ask for (prompt or output), so a hostile trace cannot make
    /// the simulator allocate without bound.
    public static let maxTokensPerRequest = 1 << 20
    /// Most requests one workload may hold.
    public static let maxRequests = 10_000_000

    /// `poisson:rate=R,input=N,output=N[,count=N|duration=S][,seed=N]`, or the path of a JSONL trace.
    public static func parse(_ specification: String) throws(SimulationError) -> Workload {
        if specification.hasPrefix("poisson:") {
            return try PoissonWorkload(parsing: specification).generate()
        }
        return try Workload(traceFile: specification)
    }

    /// A Poisson specification at another rate (for a sweep); a trace file cannot be swept.
    public static func parse(_ specification: String, rate: Double) throws(SimulationError) -> Workload {
        guard specification.hasPrefix("poisson:") else {
            throw SimulationError("--sweep needs a poisson:… workload, not the trace '\(specification)'")
        }
        var poisson = try PoissonWorkload(parsing: specification)
        guard rate.isFinite, rate > 0 else { throw SimulationError("--sweep: rate \(rate) must be positive") }
        poisson.rate = rate
        poisson.label = specification.split(separator: ",").map { $0.hasPrefix("poisson:rate=") ? "poisson:rate=\(rate)" : ($0.hasPrefix("rate=") ? "rate=\(rate)" : String($0)) }
            .joined(separator: ",")
        return poisson.generate()
    }

    /// The prompt of request `index`: tokens hashed from the request (or, but for its last
    /// block, from its prefix id), below `vocabularySize`.
    func promptTokens(of index: Int, blockSize: Int, vocabularySize: Int) -> [Int32] {
        let request = self.requests[index]
        let shared = request.prefixID == nil ? 0 : max(request.inputTokens - blockSize, 0)
        let vocabulary = UInt64(max(vocabularySize, 1))
        let own = "request \(index)"
        var tokens = [Int32](repeating: 0, count: request.inputTokens)
        for position in 0..<request.inputTokens {
            let seed = position < shared ? "prefix \(request.prefixID ?? "")" : own
            tokens[position] = Int32(truncatingIfNeeded: stableHash(seed, position) % vocabulary)
        }
        return tokens
    }
}

/// FNV-1a over a string and a position, finished with SplitMix64: stable across processes.
func stableHash(_ text: String, _ position: Int) -> UInt64 {
    var state: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    var z = state &+ UInt64(truncatingIfNeeded: position) &* 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}
