import GatewayCore

/// Sampling defaults a manifest gives its model (`default_sampling`).
public struct ManifestSampling: Sendable, Equatable, Codable {
    public var temperature: Float?
    public var topP: Float?
    public var topK: Int?

    enum CodingKeys: String, CodingKey {
        case temperature
        case topP = "top_p"
        case topK = "top_k"
    }

    public init(temperature: Float? = nil, topP: Float? = nil, topK: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
    }
}

extension SamplingParameters {
    /// Takes `defaults` for the fields the request left out (`given` holds those it set):
    /// what the request says explicitly always wins.
    public mutating func applyDefaults(_ defaults: ManifestSampling, given: ManifestSampling) {
        if given.temperature == nil, let temperature = defaults.temperature { self.temperature = temperature }
        if given.topP == nil, let topP = defaults.topP { self.topP = topP }
        if given.topK == nil, let topK = defaults.topK { self.topK = topK }
    }
}

/// A validation prompt (`golden_prompts`): the greedy token ids the version must produce
/// exactly, and/or the top log-probabilities recorded at each step, which the version's own
/// must match within `kl_bound` (mean KL divergence over the steps, in nats).
public struct GoldenPrompt: Sendable, Equatable, Codable {
    /// One step's recorded alternatives: token text (as the API reports it) and its
    /// log-probability, pairwise.
    public struct Step: Sendable, Equatable, Codable {
        public var tokens: [String]
        public var logprobs: [Float]

        public init(tokens: [String], logprobs: [Float]) {
            self.tokens = tokens
            self.logprobs = logprobs
        }
    }

    /// Names the prompt in reports.
    public var name: String
    /// Completion text (no chat template).
    public var prompt: String
    /// Exact greedy continuation, as token ids.
    public var greedyTokens: [Int32]?
    public var topLogprobs: [Step]?
    public var klBound: Double?

    enum CodingKeys: String, CodingKey {
        case name, prompt
        case greedyTokens = "greedy_tokens"
        case topLogprobs = "top_logprobs"
        case klBound = "kl_bound"
    }

    public init(name: String, prompt: String, greedyTokens: [Int32]? = nil, topLogprobs: [Step]? = nil, klBound: Double? = nil) {
        self.name = name
        self.prompt = prompt
        self.greedyTokens = greedyTokens
        self.topLogprobs = topLogprobs
        self.klBound = klBound
    }
}
