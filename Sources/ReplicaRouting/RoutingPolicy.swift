/// How a model's requests pick a replica of the chosen version.
public enum RoutingPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The replica with the fewest tokens (prompt plus completion budget) in flight.
    case leastOutstandingTokens
    /// Two replicas at random; the one with less KV in use and a shorter queue.
    case powerOfTwoChoices
    /// The replica whose prefix cache holds the longest block-hash match of the
    /// prompt, unless its outstanding tokens exceed `(1 + loadBound)` × the mean plus the
    /// request's own; then the least loaded among those within the bound.
    case prefixAffinity(loadBound: Double)

    public static let defaultLoadBound = 0.25

    /// `least-outstanding-tokens`, `power-of-two`, `prefix-affinity`.
    public init?(parsing text: String) {
        switch text {
        case "least-outstanding-tokens": self = .leastOutstandingTokens
        case "power-of-two": self = .powerOfTwoChoices
        case "prefix-affinity": self = .prefixAffinity(loadBound: Self.defaultLoadBound)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .leastOutstandingTokens: "least-outstanding-tokens"
        case .powerOfTwoChoices: "power-of-two"
        case .prefixAffinity: "prefix-affinity"
        }
    }
}

/// What the policy sees of one replica in rotation.
public struct RoutingCandidate: Sendable, Equatable {
    /// The replica's position in its version.
    public var index: Int
    public var outstandingTokens: Int
    public var inFlight: Int
    public var load: ReplicaLoad
    /// Leading prompt blocks the replica's prefix cache holds (its `PrefixCacheView`).
    public var prefixMatch: Int

    public init(index: Int, outstandingTokens: Int, inFlight: Int, load: ReplicaLoad, prefixMatch: Int) {
        self.index = index
        self.outstandingTokens = outstandingTokens
        self.inFlight = inFlight
        self.load = load
        self.prefixMatch = prefixMatch
    }
}

/// The policy's pick among the candidates, and why, for the request's routing span.
public struct RoutingChoice: Sendable, Equatable {
    /// The chosen candidate's `index`.
    public var index: Int
    public var reason: String
}

extension RoutingPolicy {
    /// The chosen candidate's `index`, or nil when there is none.
    public func choose(
        _ candidates: [RoutingCandidate], requestTokens: Int, using generator: inout some RandomNumberGenerator
    ) -> Int? {
        self.decide(candidates, requestTokens: requestTokens, using: &generator)?.index
    }

    /// The chosen candidate and the reason in words; nil when there is none.
    public func decide(
        _ candidates: [RoutingCandidate], requestTokens: Int, using generator: inout some RandomNumberGenerator
    ) -> RoutingChoice? {
        guard !candidates.isEmpty else { return nil }
        switch self {
        case .leastOutstandingTokens:
            guard let least = Self.leastLoaded(candidates) else { return nil }
            return RoutingChoice(index: least.index, reason: "least outstanding tokens (\(least.outstandingTokens))")
        case .powerOfTwoChoices:
            guard candidates.count > 1 else { return RoutingChoice(index: candidates[0].index, reason: "only candidate") }
            let first = Int.random(in: 0..<candidates.count, using: &generator)
            var second = Int.random(in: 0..<(candidates.count - 1), using: &generator)
            if second >= first { second += 1 }
            let a = candidates[first]
            let b = candidates[second]
            let (chosen, other) = Self.pressure(a) <= Self.pressure(b) ? (a, b) : (b, a)
            return RoutingChoice(
                index: chosen.index,
                reason: "lower KV and queue pressure of two drawn (\(Self.rounded(Self.pressure(chosen))) vs \(Self.rounded(Self.pressure(other))))")
        case .prefixAffinity(let bound):
            let mean = Double(candidates.reduce(0) { $0 + $1.outstandingTokens }) / Double(candidates.count)
            let limit = (1 + bound) * mean + Double(requestTokens)
            let eligible = candidates.filter { Double($0.outstandingTokens) <= limit }
            let best = eligible.max { a, b in
                if a.prefixMatch != b.prefixMatch { return a.prefixMatch < b.prefixMatch }
                return (a.outstandingTokens, a.index) > (b.outstandingTokens, b.index)
            }
            if let best, best.prefixMatch > 0 {
                return RoutingChoice(
                    index: best.index,
                    reason: "longest cached prefix, \(best.prefixMatch) blocks (outstanding \(best.outstandingTokens) tokens, bound \(Int(limit)))")
            }
            guard let least = Self.leastLoaded(candidates) else { return nil }
            let longest = candidates.map(\.prefixMatch).max() ?? 0
            let why = longest > 0 ? "cached prefix (\(longest) blocks) only over the load bound \(Int(limit)) tokens" : "no cached prefix"
            return RoutingChoice(index: least.index, reason: "\(why); least outstanding tokens (\(least.outstandingTokens))")
        }
    }

    private static func leastLoaded(_ candidates: [RoutingCandidate]) -> RoutingCandidate? {
        candidates.min { ($0.outstandingTokens, $0.inFlight, $0.index) < ($1.outstandingTokens, $1.inFlight, $1.index) }
    }

    /// KV in use plus queue: each request waiting (at the replica or routed and not yet
    /// admitted) weighs as 5% of the pool.
    private static func pressure(_ candidate: RoutingCandidate) -> Double {
        candidate.load.kvUsage + 0.05 * Double(candidate.load.waiting + candidate.inFlight)
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
