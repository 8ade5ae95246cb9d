/// What one request measured. Times are seconds; `start` counts from the run's start.
public struct RequestRecord: Sendable, Hashable, Codable {
    public var index: Int
    public var start: Double
    /// The HTTP status, when a response head arrived.
    public var status: Int?
    /// Nil when the request succeeded; else a short stable kind (`http_429`, `stream_reset`,
    /// `connection_closed`, `connect_failed`, `timeout`, `stream_error`, `bad_response`, ...).
    public var errorKind: String?
    public var errorMessage: String?
    /// Time to the first chunk that carried text (the whole response, when not streaming).
    public var ttft: Double?
    /// The gap before each text chunk after the first.
    public var interTokenGaps: [Double]
    public var endToEnd: Double
    public var outputTokens: Int
    public var promptTokens: Int?
    public var text: String
    /// The server's `x-request-id`.
    public var requestID: String?
    /// The W3C trace id: the server's `traceparent` when it returned one, else the one sent.
    public var traceID: String?
    /// With an expected text: whether the response differed from it.
    public var mismatch: Bool?
    /// The `x-switchyard-model-version` header: the version that served the request.
    public var servedVersion: String?
    /// The response's `model` field (`smollm2@2` from a registry model), the same in every chunk.
    public var servedModel: String?
    /// From sending to the response head, which is when the gateway had chosen the version.
    public var timeToHead: Double?

    public init(
        index: Int, start: Double, status: Int? = nil, errorKind: String? = nil, errorMessage: String? = nil,
        ttft: Double? = nil, interTokenGaps: [Double] = [], endToEnd: Double = 0, outputTokens: Int = 0,
        promptTokens: Int? = nil, text: String = "", requestID: String? = nil, traceID: String? = nil,
        mismatch: Bool? = nil, servedVersion: String? = nil, servedModel: String? = nil, timeToHead: Double? = nil
    ) {
        self.index = index
        self.start = start
        self.status = status
        self.errorKind = errorKind
        self.errorMessage = errorMessage
        self.ttft = ttft
        self.interTokenGaps = interTokenGaps
        self.endToEnd = endToEnd
        self.outputTokens = outputTokens
        self.promptTokens = promptTokens
        self.text = text
        self.requestID = requestID
        self.traceID = traceID
        self.mismatch = mismatch
        self.servedVersion = servedVersion
        self.servedModel = servedModel
        self.timeToHead = timeToHead
    }

    public var succeeded: Bool { self.errorKind == nil }

    /// `MODEL@VERSION` of what served it: the `model` field when it names a version, else
    /// the field and the version header together; nil without a version header.
    public var servedAs: String? {
        if let model = self.servedModel, model.contains("@") { return model }
        guard let version = self.servedVersion else { return nil }
        return "\(self.servedModel ?? "?")@\(version)"
    }

    /// Time per output token after the first, as vLLM's benchmark defines it.
    public var tpot: Double? {
        guard let ttft = self.ttft, self.outputTokens > 1 else { return nil }
        return (self.endToEnd - ttft) / Double(self.outputTokens - 1)
    }
}
