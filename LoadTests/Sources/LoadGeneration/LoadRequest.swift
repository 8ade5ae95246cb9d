/// One request a load run sends: an OpenAI completion or chat completion.
public struct LoadRequest: Sendable, Hashable {
    public enum Endpoint: String, Sendable, Hashable, Codable, CaseIterable {
        case completions
        case chat

        public var path: String {
            switch self {
            case .completions: "/v1/completions"
            case .chat: "/v1/chat/completions"
            }
        }
    }

    /// Position in the run's sequence of requests (the workload's index).
    public var index: Int
    public var endpoint: Endpoint
    public var model: String
    public var prompt: String
    /// A system message before the prompt (chat only).
    public var system: String?
    public var maxTokens: Int
    /// Server-sent events, one chunk per token; off asks for one JSON body.
    public var stream: Bool
    /// 0 is greedy decoding, the only setting under which `expectedText` is meaningful.
    public var temperature: Double
    /// With greedy decoding, the text the response must equal (`--expect`).
    public var expectedText: String?

    public init(
        index: Int = 0, endpoint: Endpoint = .completions, model: String = "echo", prompt: String,
        maxTokens: Int = 16, stream: Bool = true, temperature: Double = 0, expectedText: String? = nil,
        system: String? = nil
    ) {
        self.index = index
        self.endpoint = endpoint
        self.model = model
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.stream = stream
        self.temperature = temperature
        self.expectedText = expectedText
        self.system = system
    }
}
