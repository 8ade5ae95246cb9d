/// One message of a chat conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// What the model is asked to continue.
public enum Prompt: Sendable, Equatable {
    /// Raw text for `/v1/completions`.
    case text(String)
    /// A conversation for `/v1/chat/completions`, rendered by the model's chat template.
    case chat([ChatMessage])
}

/// A request as the engine sees it, after the API has parsed and validated it.
public struct GenerationRequest: Sendable {
    public var id: RequestID
    public var prompt: Prompt
    public var sampling: SamplingParameters
    /// Upper bound on generated tokens; the engine also stops at the context window.
    public var maxTokens: Int
    /// Generation stops before any of these strings would be emitted.
    public var stopSequences: [String]
    public var priority: Priority
    /// How long the request may wait to start generating (`x-request-timeout` or the body's
    /// `request_timeout`); one that cannot be expected to start in time is refused at once
    /// with 429. nil leaves it to the engine's default.
    public var requestTimeout: Duration?
    /// Where the engine records the request's timeline for its trace; nil records nothing.
    public var timeline: TimelineRecorder?

    public init(
        id: RequestID,
        prompt: Prompt,
        sampling: SamplingParameters = SamplingParameters(),
        maxTokens: Int,
        stopSequences: [String] = [],
        priority: Priority = .normal,
        requestTimeout: Duration? = nil,
        timeline: TimelineRecorder? = nil
    ) {
        self.id = id
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stopSequences = stopSequences
        self.priority = priority
        self.requestTimeout = requestTimeout
        self.timeline = timeline
    }
}

/// Queue order between requests; FIFO within one priority.
public enum Priority: Int, Sendable, Comparable, CaseIterable {
    case low = 0
    case normal = 1
    case high = 2

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }
}
