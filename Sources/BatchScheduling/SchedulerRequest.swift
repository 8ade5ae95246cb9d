import GatewayCore

/// What the scheduler needs to know about a request: its tokens and limits, not its text.
public struct SchedulerRequest: Sendable, Equatable {
    public var id: RequestID
    public var promptTokens: [Int32]
    /// Most tokens to generate; the sequence finishes with `.length` when it has that many.
    public var maxTokens: Int
    public var priority: Priority
    /// When the request arrived, on the driver's clock.
    public var arrival: Duration
    /// The latest time it may start running; nil means `arrival + timeout`.
    public var deadline: Duration?
    /// How long after `arrival` it may wait to start, when no `deadline` is given; nil means
    /// the configuration's `defaultDeadline`. Relative, so that a driver that stamps
    /// `arrival` itself need not know the clock.
    public var timeout: Duration?

    public init(
        id: RequestID, promptTokens: [Int32], maxTokens: Int, priority: Priority = .normal,
        arrival: Duration, deadline: Duration? = nil, timeout: Duration? = nil
    ) {
        self.id = id
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.priority = priority
        self.arrival = arrival
        self.deadline = deadline
        self.timeout = timeout
    }

    /// KV positions the request may ever need: its prompt and every token it may generate
    /// (saturating, so that an absurd `maxTokens` is refused rather than trapping).
    var demand: Int {
        let (sum, overflow) = self.promptTokens.count.addingReportingOverflow(self.maxTokens)
        return overflow ? Int.max : sum
    }
}

/// The answer to `Scheduler.add`.
public enum AdmissionDecision: Sendable, Equatable {
    case accepted
    case rejected(AdmissionRejection)
}

/// Why a request was refused at once.
public enum AdmissionRejection: Sendable, Equatable {
    /// The queue bound or the request's deadline cannot be met now (HTTP 429); retrying
    /// after `retryAfter` is expected to succeed at the measured drain rate.
    case overloaded(retryAfter: Duration, reason: String)
    /// Prompt plus max tokens exceed the whole KV pool, so it could never run (HTTP 400).
    case tooLarge(neededTokens: Int, poolTokens: Int)
    /// The request itself is unusable: empty prompt, non-positive max tokens, duplicate id
    /// (HTTP 400).
    case invalid(String)

    /// The error the API answers with: 429 with a whole-second Retry-After of at least 1,
    /// or 400 that says what is wrong.
    public var error: GenerationError {
        switch self {
        case .overloaded(let retryAfter, let reason):
            return GenerationError(
                .overloaded, "replica overloaded: \(reason)",
                retryAfterSeconds: max(1, Int(retryAfter.secondsValue.rounded(.up))))
        case .tooLarge(let needed, let pool):
            return GenerationError(
                .promptTooLong,
                "request needs \(needed) KV tokens (prompt plus max_tokens) but the replica's whole KV pool holds \(pool)")
        case .invalid(let message):
            return GenerationError(.invalidRequest, message)
        }
    }
}
