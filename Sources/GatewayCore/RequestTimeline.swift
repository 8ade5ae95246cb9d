/// What happened to one generation inside the engine, on the monotonic clock: when it arrived
/// and was admitted, each prefill chunk, decode in aggregate, preemptions, the first token and
/// the end. The engine's step loop fills it once per step (never per token, and without
/// allocating in decode); the API turns it into trace spans and metrics when the request ends.
public struct RequestTimeline: Sendable, Equatable {
    public typealias Instant = ContinuousClock.Instant

    /// One prompt chunk run in one step.
    public struct PrefillChunk: Sendable, Equatable {
        public var start: Instant
        public var end: Instant
        /// Prompt tokens this chunk ran.
        public var tokens: Int
        /// Positions already in the cache before it (earlier chunks or the prefix cache).
        public var startPosition: Int
        /// Tokens and sequences of the whole step the chunk ran in.
        public var stepTokens: Int
        public var stepSequences: Int
        /// Whether the step sampled a generated token at the chunk's end.
        public var producedToken: Bool
        /// What the whole step takes on the replica's simulated device (zero when unpinned).
        public var simulatedDeviceTime: Duration

        public init(
            start: Instant, end: Instant, tokens: Int, startPosition: Int, stepTokens: Int, stepSequences: Int,
            producedToken: Bool, simulatedDeviceTime: Duration = .zero
        ) {
            self.start = start
            self.end = end
            self.tokens = tokens
            self.startPosition = startPosition
            self.stepTokens = stepTokens
            self.stepSequences = stepSequences
            self.producedToken = producedToken
            self.simulatedDeviceTime = simulatedDeviceTime
        }
    }

    /// Decode steps folded together: counts, the span they cover, the batch sizes seen.
    public struct Decode: Sendable, Equatable {
        public var steps = 0
        /// Generated tokens that decode steps produced (a sampled stop token is not one).
        public var tokens = 0
        public var firstStart: Instant?
        public var lastEnd: Instant?
        /// `batchSizeCounts[b]` counts the steps that ran `b` sequences; it grows only when a
        /// larger batch than any before is seen, so decode does not allocate per step.
        public var batchSizeCounts: [Int] = []
        /// Time the simulated device would have taken for this sequence's decode steps.
        public var simulatedDeviceTime: Duration = .zero

        public init() {}

        public var minBatchSize: Int { self.batchSizeCounts.firstIndex { $0 > 0 } ?? 0 }
        public var maxBatchSize: Int { self.batchSizeCounts.lastIndex { $0 > 0 } ?? 0 }
        public var meanBatchSize: Double {
            guard self.steps > 0 else { return 0 }
            var total = 0
            for (size, count) in self.batchSizeCounts.enumerated() { total += size * count }
            return Double(total) / Double(self.steps)
        }

        /// Folds in one decode step that ran `batchSize` sequences.
        public mutating func record(start: Instant, end: Instant, batchSize: Int, producedToken: Bool) {
            self.steps += 1
            if producedToken { self.tokens += 1 }
            if self.firstStart == nil { self.firstStart = start }
            self.lastEnd = end
            let size = max(0, batchSize)
            if size >= self.batchSizeCounts.count {
                self.batchSizeCounts.append(contentsOf: repeatElement(0, count: size + 1 - self.batchSizeCounts.count))
            }
            self.batchSizeCounts[size] += 1
        }
    }

    /// When the engine took the request (before any queueing).
    public var arrival: Instant?
    /// When the scheduler first ran it; `admitted - arrival` is the queue wait.
    public var admitted: Instant?
    public var prefillChunks: [PrefillChunk] = []
    public var decode = Decode()
    /// When the sequence was preempted (its KV blocks taken back, to be recomputed).
    public var preemptions: [Instant] = []
    /// When the engine emitted the first generated token.
    public var firstToken: Instant?
    /// When it emitted the latest one.
    public var lastToken: Instant?
    /// The time between each generated token and the one before it, in order (the metrics
    /// observe every gap). An engine reserves room for its max tokens at arrival, so
    /// recording does not allocate per token.
    public var interTokenGaps: [Duration] = []
    /// When the engine finished it (or saw it cancelled).
    public var finished: Instant?
    /// `stop`, `length`, `failed`, `cancelled`.
    public var finishReason: String?
    public var cancelled = false
    /// Which replica and device ran it.
    public var replica: String?
    public var device: String?
    /// Most KV blocks the sequence held at once.
    public var peakKVBlocks = 0
    /// Prompt tokens the prefix cache supplied (the first chunk's start position).
    public var prefixCachedTokens = 0
    /// The same in KV blocks.
    public var prefixCachedBlocks = 0
    /// What the router decided for this request; nil where no router ran.
    public var routing: RoutingDecision?

    public init() {}

    /// A generated token left the engine at `instant`.
    public mutating func recordToken(at instant: Instant) {
        if let last = self.lastToken { self.interTokenGaps.append(instant - last) }
        if self.firstToken == nil { self.firstToken = instant }
        self.lastToken = instant
    }

    /// The client went away: the sequence ends here unless it already finished.
    public mutating func recordCancellation(at instant: Instant) {
        guard self.finished == nil else { return }
        self.cancelled = true
        self.finished = instant
        self.finishReason = "cancelled"
    }

    /// Generated tokens the steps produced: prefill chunks that sampled one plus decode tokens.
    public var producedTokens: Int {
        self.prefillChunks.reduce(0) { $0 + ($1.producedToken ? 1 : 0) } + self.decode.tokens
    }
}

/// A router's choice for one request: the replicas it considered, the one it took and why.
public struct RoutingDecision: Sendable, Equatable {
    public var start: ContinuousClock.Instant
    public var end: ContinuousClock.Instant
    /// Replica names considered, in the policy's order.
    public var candidates: [String]
    public var choice: String
    /// The policy's reason (`least-loaded`, `prefix-affinity`, `only replica`).
    public var reason: String
    public var policy: String

    public init(
        start: ContinuousClock.Instant, end: ContinuousClock.Instant, candidates: [String], choice: String,
        reason: String, policy: String
    ) {
        self.start = start
        self.end = end
        self.candidates = candidates
        self.choice = choice
        self.reason = reason
        self.policy = policy
    }
}
